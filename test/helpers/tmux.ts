import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach} from 'vitest'
import {BIN} from './cli.js'

/** Clean-ups run after each test: tmux servers, and whatever a test adds. */
export const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const hasTmux = spawnSync('tmux', ['-V']).status === 0
export const skipReason = !hasTmux && !process.env.CI ? 'tmux is not installed (CI installs it; here the real-terminal test cannot run)' : undefined

/** A tmux server of this test's own (its socket in a fresh folder), so nothing else's sessions are touched. */
export function tmuxServer() {
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

