import {randomUUID} from 'node:crypto'
import {appendFileSync, existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CompctlState, ComponentState} from '../../src/model/generated/state.js'
import {acquireStateLock, stateLockPath} from '../../src/state/lock.js'
import {FileStateStore} from '../../src/state/store.js'
import {compctl, compctlAsync, startSleeper, tempProject} from '../helpers/cli.js'

const FILE = `version: 1
project: demo
components:
  web: { kind: needed, command: ["sleep", "300"] }
  worker: { command: ["sleep", "300"] }
changes:
  add-operator:
    targets: [{ name: ns1 }, { name: ns2 }]
    apply: { run: [["true"]] }
`

function project(): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), FILE)
  return dir
}


function component(fields: Partial<ComponentState>): ComponentState {
  return {spec: {command: ['sleep', '300'], kind: 'needed'}, specHash: 'sha256:0', status: 'running', restarts: 0, lastError: null, ...fields}
}

async function writeState(dir: string, components: Record<string, ComponentState>, changes: CompctlState['changes'] = {}): Promise<void> {
  await new FileStateStore(join(dir, 'state')).write({version: 1, lineage: randomUUID(), serial: 0, project: 'demo', components, changes, appliedPlans: []})
}

const RAN_AT = '2026-01-02T03:04:05.678Z'
const CHANGE_RECORD: CompctlState['changes'] = {
  'add-operator': {
    spec: {apply: {run: ['true']}},
    specHash: 'sha256:1',
    status: 'failed',
    lastRunAt: RAN_AT,
    targets: {
      ns1: {outcome: 'success', at: RAN_AT, attempts: 1},
      ns2: {outcome: 'backout_ok', at: RAN_AT, attempts: 2, error: 'verify: exit code 1, expected 0'},
    },
  },
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('compctl status', () => {
  it('shows a live component as running with its pid and uptime, and as exited once its process is gone', async () => {
    const dir = project()
    const sleeper = await startSleeper()
    await writeState(dir, {web: component({pid: sleeper.pid, startTime: sleeper.startTime, startedAt: new Date(Date.now() - 65_000).toISOString(), restarts: 2})}, CHANGE_RECORD)

    const live = compctl(['status'], {cwd: dir})
    expect(live.stderr).toBe('')
    expect(live.code).toBe(0)
    expect(live.stdout).toMatch(new RegExp(`^web +needed +running +${sleeper.pid} +1m[01]\\ds +2 +-$`, 'm'))
    expect(live.stdout).toMatch(/^worker +dispensable +not started +- +- +0 +-$/m)
    expect(live.stdout).toMatch(/^add-operator +failed +ns1 +success +2026-01-02T03:04:05Z +1 +-$/m)
    expect(live.stdout).toMatch(/^ +ns2 +backout_ok +2026-01-02T03:04:05Z +2 +verify: exit code 1, expected 0$/m)
    expect(live.stdout).not.toContain('Needs attention')

    await sleeper.kill()
    const gone = compctl(['status'], {cwd: dir})
    expect(gone.code).toBe(0)
    expect(gone.stdout).toMatch(new RegExp(`^web +needed +exited +${sleeper.pid} +- +2 +-$`, 'm'))
    expect(gone.stdout).toContain(`web: recorded running, but process ${sleeper.pid} is gone (drift)`)
  })

  it('--json: one object with stable keys, refreshed statuses, and change targets', async () => {
    const dir = project()
    const sleeper = await startSleeper()
    const startedAt = new Date(Date.now() - 10_000).toISOString()
    await writeState(dir, {web: component({pid: sleeper.pid, startTime: sleeper.startTime, startedAt, restarts: 1, lastError: 'ready: timed out'})}, CHANGE_RECORD)

    const result = compctl(['status', '--json'], {cwd: dir})
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(Object.keys(report)).toEqual(['format_version', 'project', 'file', 'stateFile', 'lineage', 'serial', 'lock', 'components', 'changes'])
    expect(report).toMatchObject({format_version: '1', project: 'demo', file: join(dir, 'compctl.yaml'), stateFile: join(dir, 'state/compctl.state.json'), serial: 1, lock: null})
    expect(report.components.map((c: {name: string}) => c.name)).toEqual(['web', 'worker'])
    const [web, worker] = report.components
    expect(Object.keys(web)).toEqual(['name', 'kind', 'status', 'recordedStatus', 'pid', 'startedAt', 'uptimeSeconds', 'restarts', 'lastError', 'inFile', 'inState', 'pending', 'lastExit', 'rssBytes'])
    expect(web).toMatchObject({kind: 'needed', status: 'running', recordedStatus: 'running', pid: sleeper.pid, startedAt, restarts: 1, lastError: 'ready: timed out', inFile: true, inState: true, pending: null})
    expect(web.uptimeSeconds).toBeGreaterThanOrEqual(10)
    expect(web.uptimeSeconds).toBeLessThan(120)
    expect(worker).toMatchObject({status: 'not_started', recordedStatus: null, pid: null, uptimeSeconds: null, inFile: true, inState: false})
    expect(report.changes).toEqual([
      {
        name: 'add-operator',
        status: 'failed',
        lastRunAt: RAN_AT,
        inFile: true,
        inState: true,
        pending: null,
        targets: [
          {name: 'ns1', outcome: 'success', at: RAN_AT, attempts: 1, error: null},
          {name: 'ns2', outcome: 'backout_ok', at: RAN_AT, attempts: 2, error: 'verify: exit code 1, expected 0'},
        ],
      },
    ])
  })

  it('tells a reused pid, an interrupted step and a component removed from the file apart', async () => {
    const dir = project()
    const sleeper = await startSleeper()
    const since = '2026-01-02T03:04:05.000Z'
    await writeState(dir, {
      web: component({pid: sleeper.pid, startTime: sleeper.startTime - 1}),
      worker: component({status: 'starting', pid: sleeper.pid, startTime: sleeper.startTime, pending: {action: 'start', stepId: 'start.worker', since}}),
      legacy: component({status: 'stopped', pid: null}),
    })
    const result = compctl(['status'], {cwd: dir})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^web +needed +pid reused +${sleeper.pid} +- `, 'm'))
    expect(result.stdout).toMatch(/^worker +dispensable +interrupted /m)
    expect(result.stdout).toMatch(/^legacy +needed +stopped +- +- +0 +-$/m)
    expect(result.stdout).toContain(`web: pid ${sleeper.pid} now belongs to another process`)
    expect(result.stdout).toContain('worker: a start began at 2026-01-02T03:04:05Z and never ended')
    expect(result.stdout).toContain(`legacy: no longer in ${join(dir, 'compctl.yaml')}`)
  })

  it('without a state, says nothing has been applied; a corrupt state is an error naming its backup', async () => {
    const dir = project()
    const empty = compctl(['status'], {cwd: dir})
    expect(empty.code).toBe(0)
    expect(empty.stdout).toContain(`Nothing has been applied yet: there is no state at ${join(dir, 'state/compctl.state.json')}.`)
    expect(empty.stdout).toMatch(/^web +needed +not started /m)

    mkdirSync(join(dir, 'state'))
    writeFileSync(join(dir, 'state/compctl.state.json'), '{"version": 1, "lin')
    const corrupt = compctl(['status'], {cwd: dir})
    expect(corrupt.code).toBe(1)
    expect(corrupt.stderr).toContain('the state file is corrupt')
    expect(corrupt.stderr).toContain(join(dir, 'state/compctl.state.json.backup'))
    expect(corrupt.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('compctl force-unlock', () => {
  it('refuses another id, then removes the lock with its id; status shows the holder meanwhile', async () => {
    const dir = project()
    const stateDir = join(dir, 'state')
    const held = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})

    const status = compctl(['status'], {cwd: dir})
    expect(status.stdout).toContain(`State lock: held by apply by ${held.info.who}, pid ${process.pid}`)
    expect(status.stdout).toContain(`(lock id ${held.info.id})`)

    const wrong = compctl(['force-unlock', 'not-the-id'], {cwd: dir})
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain(`the state lock's id is ${held.info.id}, not not-the-id`)
    expect(wrong.stderr).toContain(`compctl force-unlock ${held.info.id}`)
    expect(existsSync(stateLockPath(stateDir))).toBe(true)

    const right = compctl(['force-unlock', held.info.id, '-f', join(dir, 'compctl.yaml')], {cwd: tempProject()})
    expect(right.code).toBe(0)
    expect(right.stdout).toContain(`Removed the state lock ${stateLockPath(stateDir)}: apply by ${held.info.who}, pid ${process.pid}`)
    // This test process still runs: the user is told it may still believe it holds the lock.
    expect(right.stderr).toContain(`Warning: pid ${process.pid} still runs on this host`)
    expect(existsSync(stateLockPath(stateDir))).toBe(false)

    const again = compctl(['force-unlock', held.info.id], {cwd: dir})
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('the state is not locked')
  })
})

describe('compctl logs', () => {
  it('prints a component log whole, or its last N lines', () => {
    const dir = project()
    mkdirSync(join(dir, 'state/logs'), {recursive: true})
    writeFileSync(join(dir, 'state/logs/web.log'), 'one\ntwo\nthree\nfour\n')
    expect(compctl(['logs', 'web'], {cwd: dir})).toEqual({code: 0, stdout: 'one\ntwo\nthree\nfour\n', stderr: ''})
    expect(compctl(['logs', 'web', '-n', '2'], {cwd: dir})).toEqual({code: 0, stdout: 'three\nfour\n', stderr: ''})
    expect(compctl(['logs', 'web', '-n', '0'], {cwd: dir}).stdout).toBe('')
    // A last line without its newline is still a line.
    writeFileSync(join(dir, 'state/logs/web.log'), 'one\ntwo\nthree')
    expect(compctl(['logs', 'web', '-n', '2'], {cwd: dir}).stdout).toBe('two\nthree')
  })

  it('-n reads a large log from its end', () => {
    const dir = project()
    mkdirSync(join(dir, 'state/logs'), {recursive: true})
    const lines = Array.from({length: 100_000}, (_, i) => `line ${i + 1} ${'x'.repeat(i % 50)}`)
    writeFileSync(join(dir, 'state/logs/web.log'), lines.join('\n') + '\n')
    expect(compctl(['logs', 'web', '-n', '3'], {cwd: dir}).stdout).toBe(lines.slice(-3).join('\n') + '\n')
    // About 700 KB: a dozen 64 KB reads back from the end, and under spawnSync's 1 MB output limit.
    const many = compctl(['logs', 'web', '-n', '20000'], {cwd: dir}).stdout
    expect(many).toBe(lines.slice(-20_000).join('\n') + '\n')
  })

  it("prints each target's log of a change under a header", () => {
    const dir = project()
    const changeLogs = join(dir, 'state/logs/changes/add-operator')
    mkdirSync(changeLogs, {recursive: true})
    writeFileSync(join(changeLogs, 'ns2.log'), 'ns2 a\nns2 b\nns2 c\n')
    writeFileSync(join(changeLogs, 'ns1.log'), 'ns1 a\nns1 b\n')
    const result = compctl(['logs', 'add-operator', '-n', '2'], {cwd: dir})
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('==> ns1 <==\nns1 a\nns1 b\n\n==> ns2 <==\nns2 b\nns2 c\n')
  })

  it('an unknown name exits 1 naming the file; a known one without a log says so and exits 0', () => {
    const dir = project()
    const unknown = compctl(['logs', 'nope'], {cwd: dir})
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(`nope: no component or change is called that in ${join(dir, 'compctl.yaml')}`)
    expect(unknown.stderr).toContain('Known names: add-operator, web, worker.')

    const noLog = compctl(['logs', 'worker'], {cwd: dir})
    expect(noLog.code).toBe(0)
    expect(noLog.stdout).toBe('')
    expect(noLog.stderr).toContain(`worker has no log yet (${join(dir, 'state/logs/worker.log')} does not exist: it has not been started)`)
    const noChangeLog = compctl(['logs', 'add-operator'], {cwd: dir})
    expect(noChangeLog.code).toBe(0)
    expect(noChangeLog.stderr).toContain('add-operator has no log yet')
  })

  it('--follow prints what is appended, starts over after a truncation, and exits 0 on SIGTERM', async () => {
    const dir = project()
    const log = join(dir, 'state/logs/web.log')
    mkdirSync(join(dir, 'state/logs'), {recursive: true})
    writeFileSync(log, 'old 1\nold 2\nold 3\n')
    const run = compctlAsync(['logs', 'web', '--follow', '-n', '1'], {cwd: dir})
    try {
      await waitFor(() => run.output().stdout.includes('old 3\n'), 'the last line')
      expect(run.output().stdout).toBe('old 3\n')
      appendFileSync(log, 'new 1\n')
      appendFileSync(log, 'new 2\n')
      await waitFor(() => run.output().stdout.includes('new 2\n'), 'the appended lines')
      writeFileSync(log, 'fresh\n')
      await waitFor(() => run.output().stdout.includes('fresh\n'), 'the line after truncation')
      expect(run.output().stdout).toBe('old 3\nnew 1\nnew 2\nfresh\n')
      expect(run.output().stderr).toContain(`${log} was truncated`)
      run.child.kill('SIGTERM')
      const result = await run.done
      expect(result.code).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('--follow waits for a log that does not exist yet', async () => {
    const dir = project()
    const run = compctlAsync(['logs', 'worker', '--follow'], {cwd: dir})
    try {
      await waitFor(() => run.output().stderr.includes('Waiting for it.'), 'the no-log message')
      mkdirSync(join(dir, 'state/logs'), {recursive: true})
      writeFileSync(join(dir, 'state/logs/worker.log'), 'worker: started\n')
      await waitFor(() => run.output().stdout.includes('worker: started\n'), 'the new log')
      run.child.kill('SIGINT')
      expect((await run.done).code).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })
})
