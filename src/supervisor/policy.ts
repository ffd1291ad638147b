import type {Component} from '../model/generated/compctl.js'
import {durationMs, formatMs} from '../util/duration.js'

/** The same cap apply puts on the backoff between start attempts. */
export const MAX_BACKOFF_MS = 30_000
/** A process that ran this long ends its crash series: the retry count and the backoff start over. */
export const STABLE_RUN_MS = 60_000
export const DEFAULT_START_GRACE_MS = 10_000
const DEFAULT_BACKOFF_MS = 1000

/** The restarts after crashes so far in a component's current series (since its last stable run). */
export interface CrashSeries {
  restarts: number
}

export interface CrashFacts {
  name: string
  spec: Component
  /** How long the process ran, from its start to its end (or to the health failure). */
  ranMs: number
  /** What ended it, for the messages: `exited with code 1`, `was killed by SIGKILL`, `failed its health check`. */
  how: string
  series: CrashSeries
}

export type CrashDecision =
  | {action: 'restart'; delayMs: number; restart: number; limit: number | null; why: string}
  | {action: 'give_up'; why: string}
  | {action: 'system_down'; why: string}

/** Wait before restart number `restart` (from 1): `backoff`, doubled each time, capped. */
export function backoffMs(spec: Component, restart: number): number {
  const first = durationMs(spec.restart?.backoff, DEFAULT_BACKOFF_MS)
  return Math.min(first * 2 ** Math.max(0, restart - 1), Math.max(first, MAX_BACKOFF_MS))
}

/**
 * What a crash means, by kind (BIND 10's rules): `core` brings the system down; `needed` is
 * restarted unless it died within `startGrace` of its start, which brings the system down;
 * `dispensable` is restarted up to `restart.retries` times in a series, then left failed. A run of
 * STABLE_RUN_MS or more ends the series first. Pure: the caller keeps the series.
 */
export function decideCrash(facts: CrashFacts): CrashDecision {
  const {name, spec, ranMs, how} = facts
  const kind = spec.kind ?? 'dispensable'
  const ran = Number.isFinite(ranMs) ? `${how} after ${formatMs(ranMs)}` : how
  if (kind === 'core') return {action: 'system_down', why: `core component ${name} ${ran}`}
  const graceMs = durationMs(spec.startGrace, DEFAULT_START_GRACE_MS)
  if (kind === 'needed' && ranMs < graceMs) return {action: 'system_down', why: `needed component ${name} ${ran}, within its startGrace of ${formatMs(graceMs)}`}
  const done = ranMs >= STABLE_RUN_MS ? 0 : facts.series.restarts
  const restart = done + 1
  if (kind === 'needed') return {action: 'restart', delayMs: backoffMs(spec, restart), restart, limit: null, why: ran}
  const limit = spec.restart?.retries ?? 0
  if (restart > limit)
    return {
      action: 'give_up',
      why: limit === 0 ? `${ran}; not restarted (restart.retries is 0)` : `${ran}; gave up after ${limit} restart${limit === 1 ? '' : 's'} (restart.retries), each ending within ${formatMs(STABLE_RUN_MS)}`,
    }
  return {action: 'restart', delayMs: backoffMs(spec, restart), restart, limit, why: ran}
}
