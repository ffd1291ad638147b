import type {CompctlFile} from '../model/generated/compctl.js'
import {UserError} from '../errors.js'

/** `settings.locks` of a desired-state file. */
export type LockSettings = NonNullable<NonNullable<CompctlFile['settings']>['locks']>

/** Who asks for a lock: enough for an operator to find the process, and for a backend to see it died. */
export interface LockOwner {
  project: string
  host: string
  pid: number
  /** The owner's process start time (/proc), so a reused pid is not taken for the owner. Read from /proc when absent. */
  startTime?: number | null
  /** The plan step that takes the lock, for people. */
  step?: string
}

/** One entry of a lock's queue: a holder, or a request waiting behind the holders. */
export interface LockHolder extends LockOwner {
  /** What `compctl locks` shows and `compctl locks release NAME HOLDER` takes. */
  id: string
  /** When it got the lock (holders) or asked for it (waiting requests), ISO 8601. */
  since: string
  /** When it asked for the lock, ISO 8601. */
  requested?: string
  /** The `holders` it asked with. */
  limit?: number
}

export interface LockWait {
  holders: LockHolder[]
  /** 1 = next in line. */
  position: number
}

export interface AcquireRequest {
  lock: string
  /** How many may hold the lock at once (the lock's `holders`). */
  holders: number
  owner: LockOwner
  /** Aborting removes the waiting request and rejects with a LockAbortedError. */
  signal?: AbortSignal
  /** Give up after this long: rejects with a LockTimeoutError and removes the request. */
  timeoutMs?: number
  /** Called when the request has to wait, and again whenever the holders or its position change. */
  onWait?: (wait: LockWait) => void
}

export interface HeldLock {
  readonly id: string
  readonly lock: string
  /** Resolves, with the reason, when the lock is taken away while held; never resolves after `release()`. */
  readonly lost: Promise<string>
  release(): Promise<void>
}

export interface LockStatus {
  lock: string
  holders: LockHolder[]
  queue: LockHolder[]
  /** The `holders` the current requests asked with (the first one's), when known. */
  limit?: number
}

export interface LockBackend {
  /** Rejects with LockTimeoutError, LockAbortedError, or UserError when the backend cannot be reached. */
  acquire(request: AcquireRequest): Promise<HeldLock>
  /** Every lock of the project that has a holder or a waiting request. */
  status(): Promise<LockStatus[]>
  /** Operator release: removes the entry `holderId` of `lock`; false when there is none. */
  release(lock: string, holderId: string): Promise<boolean>
  /** Cancels waiting requests, releases held locks and frees connections. */
  close(): Promise<void>
}

function describeHolder(holder: LockHolder): string {
  return `${holder.project}@${holder.host} pid ${holder.pid}${holder.step ? ` (${holder.step})` : ''}, holder ${holder.id}, since ${holder.since}`
}

/** A request that waited `timeoutMs` without being granted. */
export class LockTimeoutError extends UserError {
  readonly lock: string
  readonly holders: LockHolder[]
  readonly waitedMs: number

  constructor(lock: string, holders: LockHolder[], waitedMs: number) {
    const held = holders.length === 0 ? ['  (no holder left; the requests ahead of this one were still being granted)'] : holders.map((h) => `  held by ${describeHolder(h)}`)
    super([`lock "${lock}": not granted after waiting ${(waitedMs / 1000).toFixed(1)}s`, ...held], {
      hint: `\`compctl locks\` shows who holds it; \`compctl locks release ${lock} HOLDER\` frees one that is stuck.`,
    })
    this.name = 'LockTimeoutError'
    this.lock = lock
    this.holders = holders
    this.waitedMs = waitedMs
  }
}

/** A waiting request cancelled through its AbortSignal (or by `close()`); its place in the queue is gone. */
export class LockAbortedError extends Error {
  readonly lock: string

  constructor(lock: string, why = 'cancelled') {
    super(`waiting for lock "${lock}" was ${why}`)
    this.name = 'AbortError'
    this.lock = lock
  }
}
