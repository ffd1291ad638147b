import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import validateEvent from '../../src/model/generated/validate-events.js'
import {compctl, mkfifo} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {killComponent, nothingLeft, pids, project, superviseIn, waitForNewPid, WAIT_MS} from './helpers.js'

/** A core bus, a needed api (startGrace 1s) and a dispensable worker restarted up to twice. */
const SYSTEM = `version: 1
components:
  bus:
    kind: core
    priority: 100
    command: ["sleep", "300"]
  api:
    kind: needed
    startGrace: 1s
    restart: { backoff: 100ms }
    dependsOn: [bus]
    command: ["sleep", "300"]
  worker:
    kind: dispensable
    restart: { retries: 2, backoff: 100ms }
    command: ["sleep", "300"]
`

describe('compctl supervise: crashes, by kind', () => {
  it('restarts a killed dispensable component with a new pid and records the restart', async () => {
    const dir = project(SYSTEM)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    const killed = killComponent(dir, 'worker')
    const now = await waitForNewPid(dir, 'worker', killed)
    expect(now).not.toBe(before.worker)
    const worker = readState(dir).components.worker!
    expect(worker.restarts).toBe(1)
    expect(worker.lastExit).toMatchObject({code: null, signal: 'SIGKILL'})
    expect(Date.parse(worker.lastExit!.at!)).toBeLessThanOrEqual(Date.parse(worker.startedAt!))
    // Nothing else was touched.
    expect(pids(dir).bus).toBe(before.bus)
    expect(pids(dir).api).toBe(before.api)
    const status = JSON.parse(compctl(['status', '--json'], {cwd: dir}).stdout) as {components: Array<{name: string; restarts: number; lastExit: unknown}>}
    expect(status.components.find((c) => c.name === 'worker')).toMatchObject({restarts: 1, lastExit: {at: worker.lastExit!.at}})
    expect(supervised.events().some((e) => e.type === 'step_progress' && e.stepId === 'supervise.worker' && /restart 1 of 2/.test(e.message))).toBe(true)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })

  it('notices the crash of a process an earlier apply started (not its own child)', async () => {
    const dir = project(SYSTEM)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const before = pids(dir)
    const supervised = await superviseIn(dir)
    // Adopted as they were: no restart on taking over.
    expect(pids(dir)).toEqual(before)
    const killed = killComponent(dir, 'worker')
    await waitForNewPid(dir, 'worker', killed)
    expect(readState(dir).components.worker!.restarts).toBe(1)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })

  it('gives up on a crash-looping dispensable after its retries; the others keep running', async () => {
    const dir = project(`${SYSTEM}  flaky:
    kind: dispensable
    restart: { retries: 2, backoff: 100ms }
    command: "sleep 1; exit 1"
`)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    const gaveUp = await supervised.waitForEvent((e) => e.type === 'step_failed' && e.stepId === 'supervise.flaky', 'supervise to give up on flaky')
    expect(gaveUp.type === 'step_failed' && gaveUp.error).toMatch(/gave up after 2 restarts/)
    const flaky = readState(dir).components.flaky!
    expect(flaky.status).toBe('failed')
    expect(flaky.restarts).toBe(2)
    expect(flaky.pid).toBeNull()
    // Started once by the apply, then twice more.
    expect(supervised.events().filter((e) => e.type === 'step_done' && e.stepId === 'start.flaky')).toHaveLength(3)
    for (const name of ['bus', 'api', 'worker']) {
      expect(pids(dir)[name]).toBe(before[name])
      expect(isAlive(before[name])).toBe(true)
    }
    expect(supervised.exited()).toBe(false)
    // SIGHUP applies the file afresh: a given-up component gets a new start and a new series.
    supervised.child.kill('SIGHUP')
    await waitFor(() => supervised.events().filter((e) => e.type === 'step_done' && e.stepId === 'start.flaky').length >= 4, WAIT_MS, 'flaky to start again')
    expect(pids(dir).bus).toBe(before.bus)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })

  it('reports a crashed component it cannot restart because its watched file became a FIFO, and keeps supervising the rest', async () => {
    const dir = project(`version: 1
components:
  bus:
    kind: core
    command: ["sleep", "300"]
  worker:
    kind: dispensable
    restart: { retries: 2, backoff: 100ms }
    watch: [worker.conf]
    command: ["sleep", "300"]
`)
    writeFileSync(join(dir, 'worker.conf'), 'threads = 4\n')
    const supervised = await superviseIn(dir)
    const bus = pids(dir).bus
    rmSync(join(dir, 'worker.conf'))
    mkfifo(join(dir, 'worker.conf'))
    killComponent(dir, 'worker')
    const failed = await supervised.waitForEvent((e) => e.type === 'step_failed' && e.stepId === 'supervise.worker', 'the restart to be reported as failed')
    expect(failed).toMatchObject({error: expect.stringContaining('worker.conf of component worker: it is a FIFO, not a regular file')})
    // A SIGHUP meanwhile cannot plan the file either: reported, and the running system is left alone.
    supervised.child.kill('SIGHUP')
    const reload = await supervised.waitForEvent((e) => e.type === 'step_failed' && e.stepId === 'supervise.reload', 'the reload to be reported as failed')
    expect(reload).toMatchObject({error: expect.stringContaining('cannot be planned; the running system is left alone')})
    expect(supervised.exited()).toBe(false)
    expect(isAlive(bus!)).toBe(true)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
    rmSync(join(dir, 'worker.conf'))
    expect(nothingLeft(dir)).toBe(true)
  })

  it('restarts a needed component that dies after its startGrace', async () => {
    const dir = project(SYSTEM)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    const startedAt = Date.parse(readState(dir).components.api!.startedAt!)
    await waitFor(() => Date.now() - startedAt > 1500, 5000, 'api to outlive its startGrace')
    const killed = killComponent(dir, 'api')
    await waitForNewPid(dir, 'api', killed)
    expect(readState(dir).components.api!.restarts).toBe(1)
    expect(pids(dir).bus).toBe(before.bus)
    expect(supervised.exited()).toBe(false)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  })

  it('brings the system down when a needed component dies within its startGrace: exit 1, nothing left running', async () => {
    const dir = project(SYSTEM.replace('startGrace: 1s', 'startGrace: 30s'))
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    killComponent(dir, 'api')
    const result = await supervised.done
    expect(result.code).toBe(1)
    const down = supervised.events().find((e) => e.type === 'system_down')
    expect(down?.type === 'system_down' && down.reason).toMatch(/needed component api exited .* within its startGrace of 30s/)
    expect(supervised.events().at(-1)).toMatchObject({type: 'summary', ok: false, exitCode: 1, systemDown: true})
    for (const pid of Object.values(before)) expect(isAlive(pid)).toBe(false)
    expect(nothingLeft(dir)).toBe(true)
    const state = readState(dir)
    expect(state.components.bus!.status).toBe('stopped')
    expect(state.components.bus!.lastError).toMatch(/system brought down: needed component api/)
    expect(state.components.api!.lastExit?.at).toBeTruthy()
  })

  it('brings the system down when the core dies: exit 1, nothing left running, every event schema-valid', async () => {
    const dir = project(SYSTEM)
    const supervised = await superviseIn(dir)
    const before = pids(dir)
    killComponent(dir, 'bus')
    const result = await supervised.done
    expect(result.code).toBe(1)
    const down = supervised.events().find((e) => e.type === 'system_down')
    expect(down?.type === 'system_down' && down.reason).toMatch(/^core component bus exited/)
    for (const pid of Object.values(before)) expect(isAlive(pid)).toBe(false)
    expect(nothingLeft(dir)).toBe(true)
    // The bus is gone already; what still ran is stopped.
    const stopped = supervised.events().filter((e) => e.type === 'step_done').map((e) => (e.type === 'step_done' ? e.stepId : ''))
    expect(stopped).toEqual(expect.arrayContaining(['stop.api', 'stop.worker']))
    for (const event of supervised.events()) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true)
  })
})

describe('compctl supervise: health checks', () => {
  it('restarts a component whose health check keeps failing', async () => {
    const dir = project(`version: 1
components:
  svc:
    kind: dispensable
    restart: { retries: 5, backoff: 100ms }
    command: ["sleep", "300"]
    health: { command: "test -f healthy", interval: 300ms, timeout: 2s, failures: 2 }
`)
    writeFileSync(join(dir, 'healthy'), '')
    const supervised = await superviseIn(dir)
    const before = pids(dir).svc!
    // Healthy: left alone for several checks.
    await new Promise((r) => setTimeout(r, 1200))
    expect(pids(dir).svc).toBe(before)
    rmSync(join(dir, 'healthy'))
    await supervised.waitForEvent((e) => e.type === 'step_progress' && e.stepId === 'supervise.svc' && /health check failed \(1 of 2 in a row\)/.test(e.message), 'a failed health check')
    const after = await waitForNewPid(dir, 'svc', before)
    writeFileSync(join(dir, 'healthy'), '')
    expect(isAlive(before)).toBe(false)
    const svc = readState(dir).components.svc!
    expect(svc.restarts).toBeGreaterThanOrEqual(1)
    expect(svc.lastExit?.signal).toBe('SIGTERM')
    expect(after).not.toBe(before)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  }, WAIT_MS * 2)
})
