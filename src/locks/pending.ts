import {randomBytes} from 'node:crypto'
import {UserError} from '../errors.js'
import {readStartTime} from '../process/observe.js'
import {LockAbortedError, LockTimeoutError, type AcquireRequest, type LockHolder, type LockOwner, type LockWait} from './types.js'

/** What a backend stores for each request: the owner, its id, the `holders` it asked with and when. */
export interface RequestRecord extends LockOwner {
  id: string
  holders: number
  requested: string
}

/** Lock names become file names and key segments: the schema's name rule, checked again for operator input. */
const LOCK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export function assertLockName(lock: string): void {
  if (!LOCK_NAME.test(lock)) throw new UserError(`invalid lock name "${lock}": letters, digits, '.', '_' and '-', starting with a letter or digit`)
}

export function newRequestId(): string {
  return randomBytes(6).toString('hex')
}

export function requestRecord(request: AcquireRequest, id: string): RequestRecord {
  const owner = request.owner
  const startTime = owner.startTime === undefined ? readStartTime(owner.pid) : owner.startTime
  return {
    project: owner.project,
    host: owner.host,
    pid: owner.pid,
    startTime,
    ...(owner.step === undefined ? {} : {step: owner.step}),
    id,
    holders: request.holders,
    requested: new Date().toISOString(),
  }
}

export function holderOf(record: RequestRecord, since: string): LockHolder {
  const {holders, requested, ...owner} = record
  return {...owner, since, requested, limit: holders}
}

/**
 * Splits a queue in request order into holders and waiting requests: an entry holds the lock when
 * fewer entries than the `holders` it asked with are ahead of it. Every waiter decides its own grant
 * with the same rule, so what `status()` shows is what the waiters do.
 */
export function splitQueue<T extends {record: RequestRecord}>(entries: T[]): {holders: T[]; queue: T[]} {
  const holders: T[] = []
  const queue: T[] = []
  entries.forEach((entry, rank) => (rank < entry.record.holders ? holders : queue).push(entry))
  return {holders, queue}
}

/**
 * The life of one waiting request, common to the backends: settles once, turns timeouts and
 * aborts into errors after the backend has withdrawn the request, and reports waits without repeats.
 */
export class PendingRequest<T> {
  readonly promise: Promise<T>
  private settledFlag = false
  private lastReport = ''
  private lastHolders: LockHolder[] = []
  private readonly startedAt = Date.now()
  private readonly timer: NodeJS.Timeout | undefined
  private readonly onAbort: () => void
  private resolvePromise!: (value: T) => void
  private rejectPromise!: (error: unknown) => void

  constructor(
    private readonly request: AcquireRequest,
    /** Removes the request from the queue; called once, before a timeout or an abort rejects. */
    private readonly withdraw: () => Promise<void>,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolvePromise = resolve
      this.rejectPromise = reject
    })
    this.onAbort = () => void this.giveUp(new LockAbortedError(request.lock))
    // Aborted while the request was being queued: the listener would never fire.
    if (request.signal?.aborted) queueMicrotask(this.onAbort)
    else request.signal?.addEventListener('abort', this.onAbort, {once: true})
    if (request.timeoutMs !== undefined)
      this.timer = setTimeout(() => void this.giveUp(new LockTimeoutError(request.lock, this.lastHolders, Date.now() - this.startedAt)), request.timeoutMs)
  }

  get settled(): boolean {
    return this.settledFlag
  }

  /** Tells `onWait` about the wait, unless nothing changed since the last report. */
  report(wait: LockWait): void {
    if (this.settledFlag) return
    this.lastHolders = wait.holders
    const key = JSON.stringify([wait.position, wait.holders.map((h) => h.id)])
    if (key === this.lastReport) return
    this.lastReport = key
    this.request.onWait?.(wait)
  }

  /** True when this call granted it; false when the request had already settled (the caller must give the lock back). */
  grant(value: T): boolean {
    if (this.settledFlag) return false
    this.finish()
    this.resolvePromise(value)
    return true
  }

  fail(error: unknown): void {
    if (this.settledFlag) return
    this.finish()
    this.rejectPromise(error)
  }

  /**
   * Withdraws the request, then rejects: whoever sees the error also sees the queue without it.
   * A withdrawal that fails (the backend is unreachable) still rejects with `error`: the request
   * then dies with its owner (file) or its lease (etcd).
   */
  async giveUp(error: unknown): Promise<void> {
    if (this.settledFlag) return
    this.finish()
    await this.withdraw().catch(() => undefined)
    this.rejectPromise(error)
  }

  private finish(): void {
    this.settledFlag = true
    if (this.timer) clearTimeout(this.timer)
    this.request.signal?.removeEventListener('abort', this.onAbort)
  }
}
