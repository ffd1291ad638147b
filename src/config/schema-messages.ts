import type {ErrorObject} from 'ajv'
import {pointerToPath, type PathSegment} from './locate.js'

/** A schema violation as a person reads it: where (path, at the key or the value) and what was expected. */
export interface SchemaProblem {
  path: PathSegment[]
  atKey: boolean
  message: string
}

type Schema = {title?: string; description?: string; type?: string; properties?: Record<string, unknown>; anyOf?: Schema[]; const?: unknown}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  return `${typeof value} ${JSON.stringify(value)}`
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
}

function expectedOf(schema: Schema): string {
  if (schema.title) return schema.title
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  return TYPE_NAMES[schema.type ?? ''] ?? 'another value'
}

/** Levenshtein distance, to suggest the field a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = current
    }
  }
  return row[b.length]!
}

function suggestion(name: string, known: string[]): string {
  const best = known
    .map((k) => ({k, d: distance(name.toLowerCase(), k.toLowerCase())}))
    .sort((x, y) => x.d - y.d)[0]
  if (best && best.d <= Math.max(1, Math.floor(best.k.length / 3))) return ` (did you mean "${best.k}"?)`
  return known.length > 0 && known.length <= 12 ? ` (expected one of: ${known.join(', ')})` : ''
}

/**
 * ajv reports every failed keyword, including each failed branch of an anyOf; keep one message
 * per real problem: the anyOf itself stands for its branches, a propertyNames failure for its pattern.
 */
export function schemaProblems(errors: readonly ErrorObject[]): SchemaProblem[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
  const underAlternative = (e: ErrorObject) =>
    alternatives.some((a) => a !== e && e.schemaPath.startsWith(a.schemaPath + '/') && e.instancePath.startsWith(a.instancePath))
  const out: SchemaProblem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    if (underAlternative(error)) continue
    if (error.keyword !== 'propertyNames' && error.schemaPath.includes('/propertyNames/')) continue
    const problem = toProblem(error)
    const key = `${problem.path.join('\u0000')}|${problem.atKey}|${problem.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(problem)
  }
  return out
}

function toProblem(error: ErrorObject): SchemaProblem {
  const path = pointerToPath(error.instancePath)
  const parent = (error.parentSchema ?? {}) as Schema
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty)
      const known = Object.keys(parent.properties ?? {})
      const what = known.length === 0 ? 'this mapping takes no fields' : `unknown field "${name}"${suggestion(name, known)}`
      return {path: [...path, name], atKey: true, message: what}
    }
    case 'required':
      return {path, atKey: false, message: `missing required field "${String(params.missingProperty)}"`}
    case 'propertyNames': {
      const name = String(params.propertyName)
      return {path: [...path, name], atKey: true, message: `invalid name "${name}": use letters, digits, ".", "_" and "-", starting with a letter or digit`}
    }
    case 'type':
      return {path, atKey: false, message: `expected ${TYPE_NAMES[String(params.type)] ?? params.type}, got ${describeValue(error.data)}`}
    case 'enum':
      return {path, atKey: false, message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(error.data)}`}
    case 'const':
      return {path, atKey: false, message: `expected ${JSON.stringify(params.allowedValue)}, got ${describeValue(error.data)}`}
    case 'anyOf':
    case 'oneOf': {
      const branches = (parent.anyOf ?? (parent as {oneOf?: Schema[]}).oneOf ?? []).map(expectedOf)
      return {path, atKey: false, message: `expected ${branches.join(' or ')}, got ${describeValue(error.data)}`}
    }
    case 'pattern':
      return {path, atKey: false, message: `invalid value ${describeValue(error.data)}: ${parent.description ?? `must match ${String(params.pattern)}`}`}
    case 'minItems':
      return {path, atKey: false, message: `needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`}
    case 'minLength':
      return {path, atKey: false, message: 'must not be empty'}
    case 'maxLength':
      return {path, atKey: false, message: `must be at most ${String(params.limit)} characters`}
    case 'minimum':
    case 'maximum':
      return {path, atKey: false, message: `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${describeValue(error.data)}`}
    case 'uniqueItems':
      return {path, atKey: false, message: `items ${String(params.j)} and ${String(params.i)} are the same; list each once`}
    default:
      return {path, atKey: false, message: error.message ?? `fails ${error.keyword}`}
  }
}
