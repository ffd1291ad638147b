/**
 * Milliseconds on a monotonic clock, for durations and deadlines within one process. Not
 * `performance.now()`: the global `performance` loads node:perf_hooks at its first use, ~1 ms of
 * the start of every run.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}
