import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfigOrThrow} from '../../src/config/load.js'
import {statusWatchSource} from '../../src/services/status-watch.js'
import {compctl, tempProject} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {skipReason, tmuxServer} from '../helpers/tmux.js'
import {superviseIn, WAIT_MS} from '../supervise/helpers.js'

const FILE = `version: 1
components:
  busy: {command: "while true; do :; done"}
  idle: {command: ["sleep", "300"], dependsOn: [busy]}
  talker: {command: "echo first; echo 'the last line'; sleep 300", priority: 5}
`

function project(): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), FILE)
  expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
  return dir
}

/** The screen's row of a component: its cells split on runs of spaces. */
function row(screen: string, name: string): string[] {
  const line = screen.split('\n').find((l) => l.startsWith(`${name} `))
  if (!line) throw new Error(`no row for ${name} on the screen:\n${screen}`)
  return line.trim().split(/ {2,}/)
}

describe('compctl status --json', () => {
  it('gives each running component the resident memory of its process group, and null otherwise', async () => {
    const dir = project()
    const idle = readState(dir).components.idle!.pid!
    process.kill(-idle, 'SIGKILL')
    await waitFor(() => !isAlive(idle), 10_000, 'idle to end')
    const result = compctl(['status', '--json'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    const components = (JSON.parse(result.stdout) as {components: {name: string; status: string; rssBytes: number | null}[]}).components
    const busy = components.find((c) => c.name === 'busy')!
    expect(busy.status).toBe('running')
    // A shell's resident set: more than a page, less than a gigabyte.
    expect(busy.rssBytes).toBeGreaterThan(4096)
    expect(busy.rssBytes).toBeLessThan(1024 ** 3)
    expect(components.find((c) => c.name === 'idle')).toMatchObject({status: 'exited', rssBytes: null})
  }, 60_000)
})

describe('status --watch rows', () => {
  it('show the health supervise records: passing, failing with the count, and nothing without supervise', async () => {
    const dir = tempProject()
    writeFileSync(
      join(dir, 'compctl.yaml'),
      `version: 1
components:
  checked: {command: ["sleep", "300"], health: {command: ["test", "-f", "healthy"], interval: 300ms, failures: 50}}
  unchecked: {command: ["sleep", "300"]}
`,
    )
    writeFileSync(join(dir, 'healthy'), '')
    const supervised = await superviseIn(dir)
    const rows = statusWatchSource(await loadConfigOrThrow(join(dir, 'compctl.yaml')))
    const healthOf = async (name: string) => (await rows()).find((r) => r.name === name)!.health
    await waitFor(() => readState(dir).components.checked?.health?.status === 'passing', WAIT_MS, 'a passing check')
    expect(await healthOf('checked')).toBe('passing')
    expect(await healthOf('unchecked')).toBeNull()
    rmSync(join(dir, 'healthy'))
    await waitFor(() => (readState(dir).components.checked?.health?.failures ?? 0) >= 2, WAIT_MS, 'failing checks')
    expect(await healthOf('checked')).toMatch(/^failing \d+\/50$/)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
    // supervise is gone: a recorded health would be stale.
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    expect(await healthOf('checked')).toBeNull()
  }, 90_000)
})

describe('compctl status --watch', () => {
  it('without a terminal is an error that names status and status --json', () => {
    const result = compctl(['status', '--watch'], {cwd: tempProject('dns')})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('needs a terminal')
    expect(result.stderr).toContain('compctl status --json')
    expect(result.stdout).toBe('')
  })

  describe.skipIf(skipReason !== undefined)(`in a real terminal (tmux)${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
    it('shows each component in plan order with its CPU, memory and last log line, refreshes, and q quits with 0', async () => {
      const dir = project()
      const pids = Object.fromEntries(Object.entries(readState(dir).components).map(([name, c]) => [name, c.pid]))
      const term = tmuxServer()
      term.start(dir, 'status --watch')
      // The first refresh has no CPU figure yet (it is a difference); a later one has.
      const screen = await term.waitFor(/^busy .*\d+\.\d%/m)
      const lines = screen.split('\n')
      const at = (name: string) => lines.findIndex((l) => l.startsWith(`${name} `))
      // Plan order: talker (priority 5), then busy, then idle (it depends on busy).
      expect(at('talker')).toBeLessThan(at('busy'))
      expect(at('busy')).toBeLessThan(at('idle'))
      expect(screen).toMatch(/NAME +KIND +STATUS +PID +UPTIME +RESTARTS +CPU +RSS +HEALTH +LAST LOG LINE/)
      expect(row(screen, 'talker')).toEqual(['talker', 'dispensable', 'running', String(pids.talker), expect.stringMatching(/^\d+s$/), '0', expect.stringMatching(/%$/), expect.stringMatching(/B$/), '-', 'the last line'])
      // A busy loop uses a core (on a shared machine, at least a fifth of one); sleep nearly nothing.
      const busyCpu = Number(row(screen, 'busy')[6]!.slice(0, -1))
      expect(busyCpu).toBeGreaterThan(20)
      const idleCpu = await term.waitFor(/^idle .*\d+\.\d%/m).then((s) => Number(row(s, 'idle')[6]!.slice(0, -1)))
      expect(idleCpu).toBeLessThan(5)
      // Every line fits the 100-column terminal.
      expect(Math.max(...lines.map((l) => l.trimEnd().length))).toBeLessThanOrEqual(100)
      term.keys('q')
      const after = await term.waitFor(/EXIT=\d+/)
      expect(after).toContain('EXIT=0')
    }, 90_000)

    it('Ctrl-C quits with 0 too', async () => {
      const term = tmuxServer()
      term.start(project(), 'status --watch')
      await term.waitFor(/^talker /m)
      term.keys('C-c')
      expect(await term.waitFor(/EXIT=\d+/)).toContain('EXIT=0')
    }, 60_000)
  })
})
