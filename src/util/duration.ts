/** A duration as the file format allows it: `500ms`, `10s`, `2m`, `1h`, or a number of seconds. */
export type DurationInput = number | string

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/

/** Milliseconds of a duration, or undefined when it is not one. */
export function parseDuration(value: DurationInput): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined
  const match = DURATION.exec(value.trim())
  if (!match) return undefined
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

/** Milliseconds of an optional duration, with a default; the file was validated, so a bad one cannot reach here. */
export function durationMs(value: DurationInput | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs
  return parseDuration(value) ?? fallbackMs
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes}m${seconds.toString().padStart(2, '0')}s`
}
