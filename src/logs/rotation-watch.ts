import {lstatSync, watch, type FSWatcher} from 'node:fs'
import {componentLogFile, componentOfLogFile, logsDir} from './paths.js'
import type {RotationPolicy} from './policy.js'
import {rotateIfLarge, rotateLogs, type Rotated, type RotationFailure} from './rotate.js'

/** How soon after a component's log grows it is checked: with `maxSize`, this bounds how far a log can overshoot. */
export const GROWTH_CHECK_MS = 500
/** Every log is checked this often anyway (change targets' logs, file systems where fs.watch sees nothing). */
export const SWEEP_MS = 10_000

export interface RotationWatchOptions {
  stateDir: string
  policyOf: (component: string | null) => RotationPolicy
  onRotated?: (rotated: Rotated) => void
  onFailure?: (failure: RotationFailure) => void
}

/**
 * `supervise`'s log rotation: a component's log that grows is checked within GROWTH_CHECK_MS
 * (inotify through fs.watch tells which file grew, so idle logs cost nothing), and every log is
 * checked every SWEEP_MS. One check runs at a time.
 */
export class RotationWatch {
  private watcher: FSWatcher | null = null
  private sweepTimer: NodeJS.Timeout | null = null
  private growthTimer: NodeJS.Timeout | null = null
  private readonly grown = new Set<string>()
  private running: Promise<void> = Promise.resolve()
  private stopped = true

  constructor(private options: RotationWatchOptions) {}

  /** The file was re-read (SIGHUP): new policies apply from the next check. */
  setPolicies(policyOf: (component: string | null) => RotationPolicy): void {
    this.options = {...this.options, policyOf}
  }

  start(): void {
    this.stopped = false
    this.watchFolder()
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS)
    this.sweepTimer.unref()
  }

  /** Stops watching and waits for a check under way. */
  async stop(): Promise<void> {
    this.stopped = true
    this.watcher?.close()
    this.watcher = null
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    if (this.growthTimer) clearTimeout(this.growthTimer)
    this.sweepTimer = this.growthTimer = null
    await this.running
  }

  /** A check of every log now, after the one under way. */
  sweep(): Promise<void> {
    if (this.watcher === null) this.watchFolder()
    return this.serially(async () => {
      const {rotated, failed} = await rotateLogs(this.options.stateDir, this.options.policyOf)
      for (const done of rotated) this.options.onRotated?.(done)
      for (const failure of failed) this.options.onFailure?.(failure)
    })
  }

  /** The logs folder appears with the first start: until then the sweep keeps trying. */
  private watchFolder(): void {
    if (this.stopped) return
    try {
      this.watcher = watch(logsDir(this.options.stateDir), {persistent: false}, (_event, filename) => {
        const component = filename === null ? null : componentOfLogFile(filename.toString())
        if (component !== null) this.onGrowth(component)
      })
      this.watcher.on('error', () => {
        this.watcher?.close()
        this.watcher = null
      })
    } catch {
      this.watcher = null
    }
  }

  private onGrowth(component: string): void {
    this.grown.add(component)
    if (this.growthTimer !== null || this.stopped) return
    this.growthTimer = setTimeout(() => {
      this.growthTimer = null
      const names = [...this.grown]
      this.grown.clear()
      void this.serially(() => this.checkComponents(names))
    }, GROWTH_CHECK_MS)
  }

  private async checkComponents(names: string[]): Promise<void> {
    for (const name of names) {
      const path = componentLogFile(this.options.stateDir, name)
      const policy = this.options.policyOf(name)
      const info = lstatSync(path, {throwIfNoEntry: false})
      if (info === undefined || info.size <= policy.maxSize) continue
      try {
        const done = await rotateIfLarge(path, policy)
        if (done) this.options.onRotated?.(done)
      } catch (error) {
        this.options.onFailure?.({log: path, error: (error as Error).message})
      }
    }
  }

  private serially(work: () => Promise<void>): Promise<void> {
    this.running = this.running.then(() => (this.stopped ? undefined : work()))
    return this.running
  }
}
