import {execFileSync, spawnSync} from 'node:child_process'
import {appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN, tempProject} from '../../helpers/cli.js'

const hasTmux = spawnSync('tmux', ['-V']).status === 0
const skipReason = !hasTmux && !process.env.CI ? 'tmux is not installed (CI installs it; here the real-terminal test cannot run)' : undefined

/** A tmux server of this test's own (its socket in a fresh folder), so nothing else's sessions are touched. */
function tmuxServer() {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-tmux-'))
  const socket = join(dir, 'socket')
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8'})
  cleanups.push(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'])
    rmSync(dir, {recursive: true, force: true})
  })
  return {
    /** Runs `compctl ARGS` in a 100×40 terminal. Ink renders live only outside CI, so CI is unset for it. */
    start(cwd: string, args: string) {
      const command = `env -u CI -u CONTINUOUS_INTEGRATION '${process.execPath}' '${BIN}' ${args}; echo "EXIT=$?"`
      // No user config; the pane stays readable after compctl exits.
      tmux(
        '-f',
        '/dev/null',
        'start-server',
        ';',
        'set-option',
        '-g',
        'remain-on-exit',
        'on',
        ';',
        'new-session',
        '-d',
        '-s',
        'run',
        '-x',
        '100',
        '-y',
        '40',
        '-c',
        cwd,
        command,
      )
    },
    keys: (...keys: string[]) => tmux('send-keys', '-t', 'run', ...keys),
    screen: () => tmux('capture-pane', '-p', '-t', 'run', '-S', '-200'),
    async waitFor(text: string | RegExp, timeoutMs = 30_000): Promise<string> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const screen = this.screen()
        if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs}ms for ${String(text)}; the screen:\n${screen}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {}
}

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

describe.skipIf(skipReason !== undefined)(`compctl apply in a real terminal (tmux)${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  it('asks, then shows every step, the progress bar and the summary, which stays after exit', async () => {
    const cwd = tempProject('dns')
    const term = tmuxServer()
    term.start(cwd, 'apply')
    await term.waitFor('Enter a value:')
    const asked = term.screen()
    expect(asked).toContain('+ start msgq')
    expect(asked).toContain('Plan: 5 to start.')
    term.keys('yes', 'Enter')
    const screen = await term.waitFor(/EXIT=\d+/)
    expect(screen).toContain('EXIT=0')
    for (const name of ['msgq', 'cfgmgr', 'auth', 'resolver', 'stats']) expect(screen).toMatch(new RegExp(`✔ start ${name} +done in`))
    expect(screen).toMatch(/\[█+\] 5\/5 steps/)
    expect(screen).toMatch(/Apply complete! 5 started in [\d.]+m?s\./)
    // One final frame: the live frames were redrawn in place, not appended.
    expect(screen.match(/Apply · project dns/g)).toHaveLength(1)
  })

  it('on Ctrl-C lets the running step finish, on a second Ctrl-C kills it, and says so', async () => {
    const cwd = tempProject('dns')
    // The change's shell leads its own process group: it records the group so cleanup can kill it.
    const pgidDir = mkdtempSync(join(tmpdir(), 'compctl-pgid-'))
    const pgidFile = join(pgidDir, 'slow.pgid')
    appendFileSync(
      join(cwd, 'compctl.yaml'),
      `changes:\n  slow-migration:\n    dependsOn: [msgq]\n    apply: { run: ["echo $$ > ${pgidFile}; exec sleep 60"] }\n`,
    )
    cleanups.push(() => {
      if (existsSync(pgidFile)) killGroup(Number(readFileSync(pgidFile, 'utf8')))
      rmSync(pgidDir, {recursive: true, force: true})
    })
    const term = tmuxServer()
    term.start(cwd, 'apply --auto-approve')
    await term.waitFor(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] change slow-migration/)
    // Every component done: the change is then the one running step, whatever the machine's speed.
    for (const name of ['msgq', 'cfgmgr', 'auth', 'resolver', 'stats']) await term.waitFor(new RegExp(`✔ start ${name} `))
    term.keys('C-c')
    await term.waitFor(/stopping: waiting for \d+ running steps? \(Ctrl-C again to kill\)/)
    term.keys('C-c')
    const screen = await term.waitFor(/EXIT=\d+/)
    expect(screen).toContain('EXIT=130')
    expect(screen).toMatch(/^killing 1 running step$/m)
    expect(screen).toMatch(/^✖ change slow-migration +failed after/m)
    expect(screen).toMatch(/^Apply interrupted\. /m)
  })
})
