import {createHash} from 'node:crypto'

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

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The identity of a spec: what the state records and a saved plan assumes. */
export function specHash(spec: unknown): string {
  return 'sha256:' + sha256(canonicalJson(spec)).slice(0, 32)
}
