import type {CompctlState} from '../model/generated/state.js'
import type {StateStore} from './store.js'

/**
 * The state of a running apply, journaled: every update is applied in memory at once and
 * awaited until a write containing it is on disk. Updates that arrive while a write is under
 * way share the next write, so parallel steps cost one fsync each round, not one each.
 */
export class StateJournal {
  private inFlight: Promise<void> | null = null
  /** The first write that failed (a full disk, an etcd gone): from then on, nothing new may start. */
  private firstFailure: Error | null = null
  private queued: Promise<void> | null = null

  constructor(
    private readonly store: StateStore,
    private state: CompctlState,
  ) {}

  /** The state as updated so far (written or about to be). */
  get current(): CompctlState {
    return this.state
  }

  get failure(): Error | null {
    return this.firstFailure
  }

  /** Applies `mutate` now; resolves when it is durable. */
  update(mutate: (state: CompctlState) => void): Promise<void> {
    mutate(this.state)
    return this.flush()
  }

  private flush(): Promise<void> {
    if (this.queued) return this.queued
    if (!this.inFlight) return this.startWrite()
    this.queued = this.inFlight.then(() => {
      this.queued = null
      return this.startWrite()
    })
    return this.queued
  }

  private startWrite(): Promise<void> {
    // A snapshot: updates made while this write is under way belong to the next one.
    const write = this.store.write(structuredClone(this.state)).then(
      (written) => {
        this.state.serial = written.serial
      },
      (error: Error) => {
        this.firstFailure ??= error
        throw error
      },
    )
    // The caller of update() gets the failure; the in-flight marker only orders writes.
    this.inFlight = write.then(noop, noop).finally(() => {
      if (this.inFlight === tracked) this.inFlight = null
    })
    const tracked = this.inFlight
    return write
  }
}

function noop(): void {}
