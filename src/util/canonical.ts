import * as crypto from 'node:crypto'

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

// crypto.hash (Node 20.12 and later) hashes in one call, without a Hash object: about twice as
// fast for the small texts a plan hashes one per spec. Read from the namespace at the call, so an
// older Node (where it is missing) takes createHash, and a command that hashes nothing never
// loads node:crypto (the bundle loads built-ins on first use, see scripts/build.mjs).
export function sha256(text: string | Buffer): string {
  return typeof crypto.hash === 'function' ? crypto.hash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex')
}

/** The identity of a spec: what the state records and a saved plan assumes. */
export function specHash(spec: unknown): string {
  return 'sha256:' + sha256(canonicalJson(spec)).slice(0, 32)
}
