import type {HealthCheck} from '../model/generated/compctl.js'
import type {ProcessIdentity} from '../process/observe.js'
import {probeOnce, type ProbePlace} from '../process/ready.js'
import {durationMs} from '../util/duration.js'

export const DEFAULT_HEALTH_INTERVAL_MS = 10_000
export const DEFAULT_HEALTH_TIMEOUT_MS = 5000
export const DEFAULT_HEALTH_FAILURES = 3

export interface HealthTarget {
  name: string
  check: HealthCheck
  place: ProbePlace
  identity: ProcessIdentity
}

export interface HealthReport {
  name: string
  identity: ProcessIdentity
  /** Failed checks in a row so far. */
  failures: number
  limit: number
  reason: string
}

export interface HealthOptions {
  /** The component as it should be checked now, or null to skip this turn (not running, busy, or without `health`). */
  target: (name: string) => HealthTarget | null
  /** A check failed; `failures` reaching `limit` means the component counts as crashed. */
  onFailure: (report: HealthReport) => void
  /** A check held after failures. */
  onRecovered: (name: string) => void
  /** A check held. */
  onPassed?: (name: string) => void
}

interface Schedule {
  timer: NodeJS.Timeout | null
  identity: ProcessIdentity | null
  failures: number
  abort: AbortController | null
}

/**
 * Runs each component's `health` check every `interval` (one check at a time per component, each
 * bounded by `timeout`). Failures are counted per process: a new process starts from zero.
 */
export class HealthMonitor {
  private readonly schedules = new Map<string, Schedule>()
  private stopped = false

  constructor(private readonly options: HealthOptions) {}

  /** Checks `name` from now on (again), starting its count afresh. */
  watch(name: string, check: HealthCheck): void {
    this.forget(name)
    if (this.stopped) return
    const schedule: Schedule = {timer: null, identity: null, failures: 0, abort: null}
    this.schedules.set(name, schedule)
    this.arm(name, schedule, durationMs(check.interval, DEFAULT_HEALTH_INTERVAL_MS))
  }

  forget(name: string): void {
    const schedule = this.schedules.get(name)
    if (!schedule) return
    if (schedule.timer) clearTimeout(schedule.timer)
    schedule.abort?.abort()
    this.schedules.delete(name)
  }

  names(): string[] {
    return [...this.schedules.keys()]
  }

  stop(): void {
    this.stopped = true
    for (const name of this.names()) this.forget(name)
  }

  private arm(name: string, schedule: Schedule, delayMs: number): void {
    schedule.timer = setTimeout(() => void this.run(name, schedule), delayMs)
  }

  private async run(name: string, schedule: Schedule): Promise<void> {
    schedule.timer = null
    const target = this.options.target(name)
    if (target === null) {
      if (this.schedules.get(name) === schedule) this.arm(name, schedule, DEFAULT_HEALTH_INTERVAL_MS / 10)
      return
    }
    const sameProcess = schedule.identity?.pid === target.identity.pid && schedule.identity.startTime === target.identity.startTime
    if (!sameProcess) {
      schedule.identity = target.identity
      schedule.failures = 0
    }
    const abort = new AbortController()
    schedule.abort = abort
    const result = await probeOnce(target.check, target.place, durationMs(target.check.timeout, DEFAULT_HEALTH_TIMEOUT_MS), abort.signal)
    schedule.abort = null
    // Forgotten or replaced meanwhile: this result is about a schedule nobody follows any more.
    if (abort.signal.aborted || this.schedules.get(name) !== schedule) return
    if (result.ok) {
      this.options.onPassed?.(name)
      if (schedule.failures > 0) this.options.onRecovered(name)
      schedule.failures = 0
    } else {
      schedule.failures++
      const limit = target.check.failures ?? DEFAULT_HEALTH_FAILURES
      this.options.onFailure({name, identity: target.identity, failures: schedule.failures, limit, reason: result.reason})
      if (schedule.failures >= limit) schedule.failures = 0
    }
    if (this.schedules.get(name) === schedule) this.arm(name, schedule, durationMs(target.check.interval, DEFAULT_HEALTH_INTERVAL_MS))
  }
}
