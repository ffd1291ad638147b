import {appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {tempProject} from '../../helpers/cli.js'
import {cleanups, skipReason, tmuxServer} from '../../helpers/tmux.js'

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {}
}

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
