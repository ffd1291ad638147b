import {observe, type ProcessIdentity} from '../process/observe.js'

/** How often processes that are not our children (adopted from an earlier apply) are checked. */
export const ADOPTED_CHECK_MS = 1000

export interface WatchedProcess {
  name: string
  identity: ProcessIdentity
  /** Launched by this process: its exit raises SIGCHLD here, so the periodic check skips it. */
  child?: boolean
}

/**
 * Notices when a watched process ends, or its pid turns into another process. Our own children
 * are noticed at once: the kernel's SIGCHLD at their exit triggers a check. Processes an earlier
 * apply started are not our children; a check every ADOPTED_CHECK_MS (one /proc read each)
 * notices them. `list` says what to watch at each check, so it is never out of date.
 */
export class ExitWatch {
  private timer: NodeJS.Timeout | null = null
  private readonly onChild = () => this.check()

  constructor(
    private readonly list: () => WatchedProcess[],
    private readonly onGone: (watched: WatchedProcess) => void,
  ) {}

  start(): void {
    if (this.timer) return
    process.on('SIGCHLD', this.onChild)
    this.timer = setInterval(() => this.check((watched) => watched.child !== true), ADOPTED_CHECK_MS)
  }

  stop(): void {
    process.off('SIGCHLD', this.onChild)
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  check(which: (watched: WatchedProcess) => boolean = () => true): void {
    for (const watched of this.list()) {
      if (!which(watched)) continue
      const seen = observe(watched.identity)
      if (!seen.alive || !seen.sameProcess) this.onGone(watched)
    }
  }
}
