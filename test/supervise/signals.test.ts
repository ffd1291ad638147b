import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {nothingLeft, pids, project, superviseIn, WAIT_MS} from './helpers.js'

const TWO = `version: 1
components:
  bus:
    kind: core
    priority: 100
    command: ["sleep", "300"]
  api:
    kind: needed
    dependsOn: [bus]
    command: ["sleep", "300"]
`

describe('compctl supervise: SIGHUP', () => {
  it('applies a changed file: an added component starts, nothing else restarts', async () => {
    const dir = project(TWO)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    writeFileSync(join(dir, 'compctl.yaml'), `${TWO}  cache:\n    kind: dispensable\n    dependsOn: [bus]\n    command: ["sleep", "300"]\n`)
    supervised.child.kill('SIGHUP')
    await waitFor(() => readState(dir).components.cache?.status === 'running', WAIT_MS, 'cache to start')
    expect(isAlive(readState(dir).components.cache!.pid)).toBe(true)
    expect(pids(dir).bus).toBe(before.bus)
    expect(pids(dir).api).toBe(before.api)
    const plans = supervised.events().filter((e) => e.type === 'plan')
    expect(plans.at(-1)).toMatchObject({steps: [{id: 'start.cache'}]})
    expect(supervised.exited()).toBe(false)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })

  it('reports a broken file line by line, as validate does, and leaves the running system alone', async () => {
    const dir = project(TWO)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    const serial = readState(dir).serial
    writeFileSync(join(dir, 'compctl.yaml'), TWO.replace('kind: needed', 'kind: sometimes').replace('dependsOn: [bus]', 'dependsOn: [nobody]'))
    const validate = compctl(['validate'], {cwd: dir})
    const problems = validate.stderr.split('\n').filter((line) => line.startsWith('compctl.yaml:'))
    expect(problems.length).toBe(2)
    supervised.child.kill('SIGHUP')
    const failed = await supervised.waitForEvent((e) => e.type === 'step_failed' && e.stepId === 'supervise.reload', 'the reload to be refused')
    expect(failed.type === 'step_failed' && failed.error).toMatch(/compctl\.yaml is invalid \(2 problems\); the running system is left alone/)
    expect(failed.type === 'step_failed' && failed.tail).toEqual(problems)
    expect(pids(dir)).toEqual(before)
    expect(readState(dir).serial).toBe(serial)
    for (const pid of Object.values(before)) expect(isAlive(pid)).toBe(true)
    // Still supervising, and a fixed file is taken on the next SIGHUP.
    writeFileSync(join(dir, 'compctl.yaml'), TWO.replace('["sleep", "300"]\n  api', '["sleep", "301"]\n  api'))
    supervised.child.kill('SIGHUP')
    await waitFor(() => readState(dir).components.bus!.pid !== before.bus && readState(dir).components.bus!.status === 'running', WAIT_MS, 'bus to restart with its new command')
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })
})

describe('compctl supervise: the file', () => {
  it("shows the file's warnings on stderr when it starts, and runs it all the same", async () => {
    const dir = project(`${TWO}changes:\n  greet:\n    vars: { who: ann }\n    apply: { run: [[sh, -c, "echo \${who}"]] }\n`)
    const supervised = await superviseIn(dir)
    expect(readState(dir).changes.greet).toMatchObject({targets: {local: {outcome: 'success'}}})
    supervised.child.kill('SIGTERM')
    const result = await supervised.done
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('compctl.yaml:14:29: changes.greet.apply.run[0][2]: warning: ${who} is pasted into the script sh runs')
  })
})

describe('compctl supervise: stopping and the state lock', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} stops everything, dependents first, and exits 0 with no process left`, async () => {
      const dir = project(TWO)
      const supervised = await superviseIn(dir)
      const before = pids(dir)
      supervised.child.kill(signal)
      const result = await supervised.done
      expect(result.code).toBe(0)
      for (const pid of Object.values(before)) expect(isAlive(pid)).toBe(false)
      expect(nothingLeft(dir)).toBe(true)
      const stops = supervised.events().filter((e) => e.type === 'step_done' && e.stepId.startsWith('stop.'))
      expect(stops.map((e) => (e.type === 'step_done' ? e.stepId : ''))).toEqual(['stop.api', 'stop.bus'])
      expect(supervised.events().at(-1)).toMatchObject({type: 'summary', ok: true, exitCode: 0})
      expect(readState(dir).components).toEqual({})
      expect(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')).not.toContain('"pending"')
    })
  }

  it('SIGTERM during the first apply lets the running start finish, then stops everything: exit 0', async () => {
    const dir = project(`${TWO}  slow:\n    command: ["sleep", "300"]\n    ready: { after: 2s }\n`)
    const supervised = await superviseIn(dir, [], {waitUntilSupervising: false})
    await supervised.waitForEvent((e) => e.type === 'step_progress' && e.stepId === 'start.slow' && /stays up/.test(e.message), 'slow to wait for readiness')
    supervised.child.kill('SIGTERM')
    const result = await supervised.done
    expect(result.code).toBe(0)
    const events = supervised.events()
    expect(events.some((e) => e.type === 'interrupt')).toBe(true)
    expect(events.some((e) => e.type === 'step_done' && e.stepId === 'start.slow')).toBe(true)
    expect(events.some((e) => e.type === 'step_done' && e.stepId === 'stop.slow')).toBe(true)
    expect(nothingLeft(dir)).toBe(true)
    expect(readState(dir).components).toEqual({})
  })

  it('holds the state lock the whole time: a concurrent apply fails at once naming supervise', async () => {
    const dir = project(TWO)
    const supervised = await superviseIn(dir)
    const began = Date.now()
    const apply = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(apply.code).toBe(1)
    expect(apply.stderr).toMatch(/the state is locked: supervise by .*pid \d+/)
    expect(Date.now() - began).toBeLessThan(15_000)
    expect(compctl(['status'], {cwd: dir}).stdout).toMatch(/State lock: held by supervise/)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
  })
})
