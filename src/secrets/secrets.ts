import {createHmac} from 'node:crypto'
import {UserError} from '../errors.js'

/** What every output shows in place of a sensitive value. */
export const SENSITIVE = '(sensitive)'

/**
 * How the plan and the state hold a sensitive value: a hash keyed by the state's secret key
 * (kept with the state, in its backend: see state/secret-key.ts), so a changed value changes the
 * spec hash, and a short password cannot be found by hashing guesses without the key. A value read from an env file
 * carries the index of its file in `envFile`, so a plan can say which file changed.
 */
const MARKER = /\(sensitive:(?:envFile\[(\d+)\]:)?[0-9a-f]{24}\)/g

/** Free text (error messages, command output) is searched for sensitive values at least this long. */
export const MIN_SEARCHED_LENGTH = 4

export function markerFor(key: Buffer, value: string, envFileIndex?: number): string {
  const hash = keyedHash(key, value).slice(0, 24)
  return envFileIndex === undefined ? `(sensitive:${hash})` : `(sensitive:envFile[${envFileIndex}]:${hash})`
}

export function keyedHash(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex')
}

/** The `envFile` indexes of the env-file values marked in `text`. */
export function envFileIndexes(text: string): number[] {
  return [...text.matchAll(MARKER)].filter((m) => m[1] !== undefined).map((m) => Number(m[1]))
}

/**
 * The sensitive values this process knows (from variables and env files) and their markers.
 * One per process: every place where data leaves compctl (terminal, state, saved plans, logs)
 * asks it, so a value cannot leak through a path nobody thought to check.
 */
class SecretRegistry {
  private readonly byMarker = new Map<string, string>()
  /** The forms a value can be printed in (as is, and escaped inside JSON), longest first. */
  private plain: string[] = []

  add(marker: string, value: string): void {
    this.byMarker.set(marker, value)
    // Specs carry markers whatever the length; searching free text for a value as short as "1"
    // or "on" would blank out every pid and word holding it, so free text is searched for longer ones.
    if (value.length < MIN_SEARCHED_LENGTH) return
    const forms = new Set([value, JSON.stringify(value).slice(1, -1)])
    this.plain = [...new Set([...this.plain, ...forms])].sort((a, b) => b.length - a.length)
  }

  /** Replaces every known sensitive value in `text` with `(sensitive)`: for what is stored (state, saved plans, logs). */
  hide(text: string): string {
    for (const value of this.plain) if (text.includes(value)) text = text.split(value).join(SENSITIVE)
    return text
  }

  /** Markers and known values both become `(sensitive)`: for what is shown. */
  display(text: string): string {
    return this.hide(text.includes('(sensitive:') ? text.replace(MARKER, SENSITIVE) : text)
  }

  /** Whether `display` would change text holding these bytes (cheap test for binary output). */
  touches(chunk: Buffer): boolean {
    return chunk.includes('(sensitive:') || this.plain.some((value) => chunk.includes(value))
  }

  /** Every string in `value` with `hide` applied (a copy). */
  hideDeep<T>(value: T): T {
    return this.plain.length === 0 ? value : (mapStrings(value, (text) => this.hide(text)) as T)
  }

  /** A copy of `value` with each marker replaced by its value: what a process is started with. */
  reveal<T>(value: T): T {
    return mapStrings(value, (text) =>
      text.includes('(sensitive:')
        ? text.replace(MARKER, (marker) => {
            const known = this.byMarker.get(marker)
            if (known === undefined)
              throw new UserError('a sensitive value this step was planned with is not known now', {
                hint: 'Give the same variables (--var, --var-file, COMPCTL_VAR_*) and env files as when the plan was made, or make a new plan.',
              })
            return known
          })
        : text,
    ) as T
  }
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value)
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map))
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]))
  return value
}

export const secrets = new SecretRegistry()

let filtering = false
/** Each stream's own write, before filterOutput wrapped it. */
const unfiltered = new Map<NodeJS.WriteStream, (chunk: string) => boolean>()

/**
 * Passes everything this process writes to stdout and stderr through `secrets.display`: plan
 * views, events, the Ink view, notes and errors all leave through these two streams.
 */
export function filterOutput(): void {
  if (filtering) return
  filtering = true
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
    unfiltered.set(stream, write)
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') return write(secrets.display(chunk), ...rest)
      if (chunk instanceof Uint8Array && secrets.touches(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
        return write(secrets.display(Buffer.from(chunk).toString('utf8')), ...rest)
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
}

/**
 * Writes text as a store holds it: markers stay, known values are hidden. For `state pull`,
 * whose output is a state to push elsewhere: shown as `(sensitive)`, its markers would be lost,
 * and every component using a sensitive value would plan a restart after the push.
 */
export function writeAsStored(stream: NodeJS.WriteStream, text: string): void {
  ;(unfiltered.get(stream) ?? ((chunk: string) => stream.write(chunk)))(secrets.hide(text))
}
