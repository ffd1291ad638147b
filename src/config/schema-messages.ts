import type {ErrorObject} from 'ajv'
import {pointerToPath, type PathSegment} from './locate.js'

/** A schema violation as a person reads it: where (path, at the key or the value) and what was expected. */
export interface SchemaProblem {
  path: PathSegment[]
  atKey: boolean
  message: string
}

type Schema = {
  title?: string
  description?: string
  type?: string
  properties?: Record<string, unknown>
  propertyNames?: {pattern?: string}
  anyOf?: Schema[]
  oneOf?: Schema[]
  const?: unknown
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)'
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

/** ` (did you mean "x"?)`, or the short list of choices, or nothing. */
export function suggestion(name: string, known: readonly string[]): string {
  const best = known
    .map((k) => ({k, d: distance(name.toLowerCase(), k.toLowerCase())}))
    .sort((x, y) => x.d - y.d)[0]
  if (best && best.d <= Math.max(1, Math.floor(best.k.length / 3))) return ` (did you mean "${best.k}"?)`
  return known.length > 0 && known.length <= 12 ? ` (expected one of: ${known.join(', ')})` : ''
}

/** Whether `value` has the JSON type a branch of an anyOf asks for. */
function typeFits(branch: Schema, value: unknown): boolean {
  switch (branch.type) {
    case 'integer':
    case 'number':
      return typeof value === 'number'
    case 'string':
      return typeof value === 'string'
    case 'array':
      return Array.isArray(value)
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value)
    case undefined:
      return branch.const !== undefined && typeof branch.const === typeof value
    default:
      return false
  }
}

const within = (inner: ErrorObject, outer: ErrorObject) =>
  inner !== outer &&
  inner.schemaPath.startsWith(outer.schemaPath + '/') &&
  (inner.instancePath === outer.instancePath || inner.instancePath.startsWith(outer.instancePath + '/'))

/**
 * ajv reports every failed keyword, including each failed branch of an anyOf. Keep one message
 * per real problem: when the value's type picks exactly one branch (`-5` for a duration, a list
 * for exitCode), that branch's own errors say what is wrong; otherwise the anyOf stands for its
 * branches. A propertyNames failure stands for the name pattern it failed.
 */
export function schemaProblems(errors: readonly ErrorObject[], data: unknown): SchemaProblem[] {
  const chosenBranch = new Map<ErrorObject, string>()
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && error.keyword !== 'oneOf') continue
    const branches = ((error.parentSchema as Schema | undefined)?.[error.keyword] ?? []) as Schema[]
    const fitting = branches.flatMap((branch, i) => (typeFits(branch, error.data) ? [i] : []))
    if (fitting.length !== 1) continue
    const prefix = `${error.schemaPath}/${fitting[0]}/`
    if (errors.some((e) => within(e, error) && e.schemaPath.startsWith(prefix))) chosenBranch.set(error, prefix)
  }
  const hidden = (error: ErrorObject) =>
    chosenBranch.has(error) ||
    errors.some((a) => (a.keyword === 'anyOf' || a.keyword === 'oneOf') && within(error, a) && !error.schemaPath.startsWith(chosenBranch.get(a) ?? '\u0000'))
  const out: SchemaProblem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    if (error.keyword !== 'propertyNames' && error.propertyName !== undefined) continue
    if (hidden(error)) continue
    const problem = toProblem(error, data)
    const key = `${problem.path.join('\u0000')}|${problem.atKey}|${problem.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(problem)
  }
  return out
}

/** A schema description as the thing expected: "A signal name such as ..." → "a signal name such as ...". */
function expectedFromDescription(description: string): string {
  const text = description.replace(/\.$/, '')
  return /^[A-Z][a-z ]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text
}

function toProblem(error: ErrorObject, data: unknown): SchemaProblem {
  const path = pointerToPath(error.instancePath, data)
  const parent = (error.parentSchema ?? {}) as Schema
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty)
      const known = Object.keys(parent.properties ?? {})
      const what =
        name === '<<'
          ? 'unknown field "<<": YAML merge keys are not supported; write the fields out'
          : known.length === 0
            ? 'this mapping takes no fields'
            : `unknown field "${name}"${suggestion(name, known)}`
      return {path: [...path, name], atKey: true, message: what}
    }
    case 'required':
      return {path, atKey: false, message: `missing required field "${String(params.missingProperty)}"`}
    case 'propertyNames': {
      const name = String(params.propertyName)
      const message = parent.propertyNames?.pattern
        ? `invalid variable name "${name}": use letters, digits and "_", not starting with a digit`
        : `invalid name "${name}": use letters, digits, ".", "_" and "-", starting with a letter or digit`
      return {path: [...path, name], atKey: true, message}
    }
    case 'type':
      if (path.length === 0)
        return {path, atKey: false, message: `the file must be a mapping of fields such as \`version:\` and \`components:\`, got ${describeValue(error.data)}`}
      return {path, atKey: false, message: `expected ${TYPE_NAMES[String(params.type)] ?? params.type}, got ${describeValue(error.data)}`}
    case 'enum':
      return {path, atKey: false, message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(error.data)}`}
    case 'const':
      if (path.length === 1 && path[0] === 'version')
        return {path, atKey: false, message: `unsupported version ${JSON.stringify(error.data)}: this compctl reads \`version: ${JSON.stringify(params.allowedValue)}\` files`}
      return {path, atKey: false, message: `expected ${JSON.stringify(params.allowedValue)}, got ${describeValue(error.data)}`}
    case 'anyOf':
    case 'oneOf': {
      const branches = (parent.anyOf ?? parent.oneOf ?? []).map(expectedOf)
      return {path, atKey: false, message: `expected ${branches.join(' or ')}, got ${describeValue(error.data)}`}
    }
    case 'pattern': {
      const expected = parent.description
        ? expectedFromDescription(parent.description)
        : (parent.title ?? `a value matching /${String(params.pattern)}/`)
      return {path, atKey: false, message: `expected ${expected}, got ${describeValue(error.data)}`}
    }
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
