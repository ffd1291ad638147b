import type {DiffEntry} from '../model/generated/plan.js'
import {canonicalJson} from '../util/canonical.js'
import type {Impact} from './impact.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const same = (a: unknown, b: unknown) => a === b || canonicalJson(a) === canonicalJson(b)

/**
 * Field-level differences between a recorded and a desired spec. Mappings are compared key by
 * key (`env.LOG_LEVEL`); lists and scalars as wholes. Each entry carries its top-level field's impact.
 */
export function specDiff(before: Obj, after: Obj, impacts: ReadonlyMap<string, Impact>): DiffEntry[] {
  const out: DiffEntry[] = []
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  for (const field of fields) {
    const impact = impacts.get(field) ?? 'restart'
    walk(field, before[field], after[field], impact, out)
  }
  return out
}

function walk(path: string, before: unknown, after: unknown, impact: Impact, out: DiffEntry[]): void {
  if (same(before, after)) return
  if (isObj(before) && isObj(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort())
      walk(`${path}.${key}`, before[key], after[key], impact, out)
    return
  }
  const entry: DiffEntry = {path, impact}
  if (before !== undefined) entry.before = before
  if (after !== undefined) entry.after = after
  out.push(entry)
}
