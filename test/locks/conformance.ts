import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {expect, it} from 'vitest'
import {LockTimeoutError, openLockBackend, type HeldLock, type LockBackend, type LockSettings, type LockWait} from '../../src/locks/index.js'
import {closedAfterEach, HolderProcess, useHolderScript} from './harness.js'

/** What the shared suite needs to know about one backend. */
export interface ConformanceTarget {
  /** Settings of a backend, for this process and for holder processes. */
  settings(): LockSettings
  /** How long a holder killed with SIGKILL may keep the lock from the next waiter. */
  deadHolderLimitMs: number
}

/** A request made in this process, with what happened to it so far. */
interface Request {
  promise: Promise<HeldLock>
  /** Resolves at the first `onWait`: the request is queued. */
  queued: Promise<LockWait>
  waits: LockWait[]
  held: HeldLock | undefined
}

function uniqueProject(): string {
  return `conformance-${randomBytes(4).toString('hex')}`
}

function request(backend: LockBackend, project: string, lock: string, options: {holders?: number; signal?: AbortSignal; timeoutMs?: number; step?: string} = {}): Request {
  let markQueued!: (wait: LockWait) => void
  const result: Request = {
    promise: undefined as unknown as Promise<HeldLock>,
    queued: new Promise((resolve) => (markQueued = resolve)),
    waits: [],
    held: undefined,
  }
  result.promise = backend.acquire({
    lock,
    holders: options.holders ?? 1,
    owner: {project, host: hostname(), pid: process.pid, ...(options.step ? {step: options.step} : {})},
    ...(options.signal ? {signal: options.signal} : {}),
    ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs}),
    onWait: (wait) => {
      result.waits.push(wait)
      markQueued(wait)
    },
  })
  result.promise.then(
    (held) => (result.held = held),
    () => undefined,
  )
  return result
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs}ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
  return Date.now() - started
}

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms))

/**
 * The contract every lock backend keeps: the grant cases of charm-helpers' coordinator (first
 * requester granted, the others in request order, a released and re-requested lock at the back),
 * semaphores, waits reported with holders and position, timeouts, cancellation, operator
 * release, project scope, and holders in other processes (FIFO across them, a killed holder).
 */
export function lockBackendConformance(target: ConformanceTarget): void {
  const opened = closedAfterEach()
  const holderScript = useHolderScript()

  async function open(project: string): Promise<LockBackend> {
    const backend = await openLockBackend(target.settings(), project)
    opened.push(backend)
    return backend
  }

  it('grants an uncontended request at once, shows its holder, and frees it on release', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const before = Date.now()
    const held = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid, step: 'restart:msgq'}})
    expect(held.lock).toBe('restart')
    const [status] = await backend.status()
    expect(status?.lock).toBe('restart')
    expect(status?.queue).toEqual([])
    expect(status?.holders).toHaveLength(1)
    const holder = status!.holders[0]!
    expect(holder).toMatchObject({id: held.id, project, host: hostname(), pid: process.pid, step: 'restart:msgq'})
    expect(Date.parse(holder.since)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(holder.since)).toBeLessThanOrEqual(Date.now() + 1000)
    await held.release()
    expect(await backend.status()).toEqual([])
  })

  it('grants the first requester and the others in request order, one at a time', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const first = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const waiting: Request[] = []
    const granted: string[] = []
    for (const name of ['b', 'c', 'd']) {
      const r = request(backend, project, 'restart', {step: name})
      await r.queued
      void r.promise.then(() => granted.push(name))
      waiting.push(r)
    }
    expect(waiting.map((r) => r.waits.at(-1)?.position)).toEqual([1, 2, 3])
    const [status] = await backend.status()
    expect(status?.holders.map((h) => h.id)).toEqual([first.id])
    expect(status?.queue.map((h) => h.step)).toEqual(['b', 'c', 'd'])

    await first.release()
    const b = await waiting[0]!.promise
    await settle()
    expect(granted).toEqual(['b'])
    await b.release()
    const c = await waiting[1]!.promise
    await settle()
    expect(granted).toEqual(['b', 'c'])
    await c.release()
    const d = await waiting[2]!.promise
    expect(granted).toEqual(['b', 'c', 'd'])
    await d.release()
    expect(await backend.status()).toEqual([])
  })

  it('puts a lock that is released and requested again at the back of the queue', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const a = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid, step: 'a'}})
    const b = request(backend, project, 'restart', {step: 'b'})
    await b.queued
    await a.release()
    const again = request(backend, project, 'restart', {step: 'a'})
    const bHeld = await b.promise
    await again.queued
    expect(again.held).toBeUndefined()
    expect(again.waits.at(-1)).toMatchObject({position: 1, holders: [{id: bHeld.id, step: 'b'}]})
    await bHeld.release()
    await (await again.promise).release()
  })

  it('lets `holders` requests hold a lock at once (a semaphore) and queues the rest', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const one = await backend.acquire({lock: 'pool', holders: 2, owner: {project, host: hostname(), pid: process.pid, step: 'one'}})
    const two = await backend.acquire({lock: 'pool', holders: 2, owner: {project, host: hostname(), pid: process.pid, step: 'two'}})
    const three = request(backend, project, 'pool', {holders: 2, step: 'three'})
    const wait = await three.queued
    expect(wait.position).toBe(1)
    expect(wait.holders.map((h) => h.id).sort()).toEqual([one.id, two.id].sort())
    const [status] = await backend.status()
    expect(status?.holders).toHaveLength(2)
    expect(status?.queue.map((h) => h.step)).toEqual(['three'])
    expect(status?.limit).toBe(2)

    await one.release()
    const threeHeld = await three.promise
    const [after] = await backend.status()
    expect(after?.holders.map((h) => h.id).sort()).toEqual([two.id, threeHeld.id].sort())
    await two.release()
    await threeHeld.release()
  })

  it('reports the holders and the queue position while waiting, and updates them', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const a = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid, step: 'a'}})
    const b = request(backend, project, 'restart', {step: 'b'})
    const bWait = await b.queued
    expect(bWait.position).toBe(1)
    expect(bWait.holders).toHaveLength(1)
    expect(bWait.holders[0]).toMatchObject({id: a.id, project, host: hostname(), pid: process.pid, step: 'a'})
    expect(Number.isNaN(Date.parse(bWait.holders[0]!.since))).toBe(false)
    const c = request(backend, project, 'restart', {step: 'c'})
    expect((await c.queued).position).toBe(2)

    await a.release()
    const bHeld = await b.promise
    await waitUntil(() => c.waits.at(-1)?.position === 1, 10_000, 'the third request is reported next in line')
    expect(c.waits.at(-1)?.holders.map((h) => h.id)).toEqual([bHeld.id])
    await bHeld.release()
    await (await c.promise).release()
  })

  it('gives up after timeoutMs with a LockTimeoutError naming the lock, its holders and the wait, and leaves the queue', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const a = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const started = Date.now()
    const error = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}, timeoutMs: 500}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LockTimeoutError)
    const timeout = error as LockTimeoutError
    expect(Date.now() - started).toBeGreaterThanOrEqual(450)
    expect(timeout.lock).toBe('restart')
    expect(timeout.waitedMs).toBeGreaterThanOrEqual(450)
    expect(timeout.holders.map((h) => h.id)).toEqual([a.id])
    expect(timeout.message).toContain('"restart"')
    expect(timeout.message).toContain(a.id)
    const [status] = await backend.status()
    expect(status?.queue).toEqual([])
    await a.release()
  })

  it('cancels a waiting request when its signal aborts: AbortError, and its place is gone', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const a = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const controller = new AbortController()
    const b = request(backend, project, 'restart', {signal: controller.signal, step: 'b'})
    await b.queued
    const c = request(backend, project, 'restart', {step: 'c'})
    await c.queued
    controller.abort()
    const error = await b.promise.catch((e: unknown) => e)
    expect((error as Error).name).toBe('AbortError')
    const [status] = await backend.status()
    expect(status?.queue.map((h) => h.step)).toEqual(['c'])
    await waitUntil(() => c.waits.at(-1)?.position === 1, 10_000, 'the request behind the cancelled one moves up')
    await a.release()
    await (await c.promise).release()
  })

  it('cancels a request aborted while it is still being queued', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const a = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const controller = new AbortController()
    const pending = backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}, signal: controller.signal})
    controller.abort()
    const error = await Promise.race([pending.catch((e: unknown) => e), settle(10_000).then(() => new Error('still waiting 10s after the abort'))])
    expect((error as Error).name).toBe('AbortError')
    const [status] = await backend.status()
    expect(status?.queue).toEqual([])
    await a.release()
  })

  it('lets an operator release a stuck holder: the next waiter gets the lock and the holder learns why', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const operator = await open(project)
    const stuck = await backend.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const next = request(backend, project, 'restart')
    await next.queued
    expect(await operator.release('restart', 'f00d00000000')).toBe(false)
    expect(await operator.release('restart', stuck.id)).toBe(true)
    const held = await next.promise
    const reason = await Promise.race([stuck.lost, settle(10_000).then(() => 'no reason within 10s')])
    expect(reason).toContain('compctl locks release')
    await stuck.release()
    const [status] = await backend.status()
    expect(status?.holders.map((h) => h.id)).toEqual([held.id])
    await held.release()
  })

  it('scopes locks by project: the same name in another project is another lock', async () => {
    const first = uniqueProject()
    const second = uniqueProject()
    const backendOne = await open(first)
    const backendTwo = await open(second)
    const sameProject = await open(first)
    const a = await backendOne.acquire({lock: 'restart', holders: 1, owner: {project: first, host: hostname(), pid: process.pid}})
    const b = await backendTwo.acquire({lock: 'restart', holders: 1, owner: {project: second, host: hostname(), pid: process.pid}, timeoutMs: 5000})
    expect((await backendOne.status()).flatMap((s) => s.holders.map((h) => h.id))).toEqual([a.id])
    expect((await backendTwo.status()).flatMap((s) => s.holders.map((h) => h.id))).toEqual([b.id])
    const shared = await sameProject.acquire({lock: 'restart', holders: 1, owner: {project: first, host: hostname(), pid: process.pid}, timeoutMs: 300}).catch((e: unknown) => e)
    expect(shared).toBeInstanceOf(LockTimeoutError)
    await a.release()
    await b.release()
  })

  it('closing a backend cancels its waiting requests and releases what it holds', async () => {
    const project = uniqueProject()
    const closing = await openLockBackend(target.settings(), project)
    const other = await open(project)
    await closing.acquire({lock: 'restart', holders: 1, owner: {project, host: hostname(), pid: process.pid}})
    const queuedThere = request(closing, project, 'restart')
    await queuedThere.queued
    const queuedHere = request(other, project, 'restart')
    await queuedHere.queued
    await closing.close()
    expect(((await queuedThere.promise.catch((e: unknown) => e)) as Error).name).toBe('AbortError')
    await (await queuedHere.promise).release()
  })

  it('grants holders in other processes in the order they asked', async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const config = {settings: target.settings(), project, lock: 'restart'}
    const first = new HolderProcess(holderScript(), {...config, step: 'first'})
    await first.waitFor('granted')
    const second = new HolderProcess(holderScript(), {...config, step: 'second'})
    expect((await second.waitFor('waiting')).position).toBe(1)
    const third = new HolderProcess(holderScript(), {...config, step: 'third'})
    expect((await third.waitFor('waiting')).position).toBe(2)
    const local = request(backend, project, 'restart', {step: 'local'})
    expect((await local.queued).position).toBe(3)
    const [status] = await backend.status()
    expect(status?.holders.map((h) => h.pid)).toEqual([first.pid])
    expect(status?.queue.map((h) => h.pid)).toEqual([second.pid, third.pid, process.pid])

    first.release()
    await second.waitFor('granted')
    await settle()
    expect(third.has('granted')).toBe(false)
    second.release()
    await third.waitFor('granted')
    await settle()
    expect(local.held).toBeUndefined()
    third.release()
    await (await local.promise).release()
  })

  it(`hands the lock of a holder killed with SIGKILL to the next waiter within ${target.deadHolderLimitMs / 1000}s`, async () => {
    const project = uniqueProject()
    const backend = await open(project)
    const victim = new HolderProcess(holderScript(), {settings: target.settings(), project, lock: 'restart'})
    await victim.waitFor('granted')
    const next = request(backend, project, 'restart')
    expect((await next.queued).holders.map((h) => h.pid)).toEqual([victim.pid])
    const killedAt = Date.now()
    victim.killHard()
    const held = await Promise.race([
      next.promise,
      settle(target.deadHolderLimitMs).then(() => {
        throw new Error(`the next waiter was not granted within ${target.deadHolderLimitMs}ms of the holder's SIGKILL`)
      }),
    ])
    expect(Date.now() - killedAt).toBeLessThan(target.deadHolderLimitMs)
    const [status] = await backend.status()
    expect(status?.holders.map((h) => h.id)).toEqual([held.id])
    await held.release()
  })
}
