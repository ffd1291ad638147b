import type {CompctlFile, Variable} from '../model/generated/compctl.js'
import type {PathSegment} from './locate.js'
import {suggestion} from './schema-messages.js'
import {codeArguments, type SemanticProblem} from './semantic.js'

export type VariableValue = string | number | boolean

/**
 * `$${` (a literal `${`), `${var.NAME}`, `${env.NAME}` and `${env.NAME:-default}`. Any other
 * `${...}` is left alone: in a change, `${name}` is a target var.
 */
const REFERENCE = /\$\$\{|\$\{(var|env)\.([^}]*?)(?::-([^}]*))?\}/g
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

export function typeOf(declaration: Variable): NonNullable<Variable['type']> {
  return declaration.type ?? 'string'
}

/** Whether any string in `value` passes `test`: a walk that builds no paths, for the common file that has no references. */
function anyString(value: unknown, test: (text: string) => boolean): boolean {
  if (typeof value === 'string') return test(value)
  if (value === null || typeof value !== 'object') return false
  if (Array.isArray(value)) {
    for (const item of value) if (anyString(item, test)) return true
  } else {
    for (const key in value) if (anyString((value as Record<string, unknown>)[key], test)) return true
  }
  return false
}

const hasReference = (text: string) => text.includes('${')

/** Every string value under `components` and `changes`, with its path. */
function* stringsIn(value: unknown, path: PathSegment[]): Generator<{text: string; path: PathSegment[]; parent?: unknown[]; index?: number}> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (typeof item === 'string') yield {text: item, path: [...path, i], parent: value, index: i}
      else yield* stringsIn(item, [...path, i])
    }
  } else if (isObj(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string') yield {text: item, path: [...path, key]}
      else yield* stringsIn(item, [...path, key])
    }
  }
}

/**
 * Declarations (a default of the declared type) and references (declared, well formed) in a
 * parsed file. No values are needed: `validate` runs this alone.
 */
export function variableProblems(data: unknown): SemanticProblem[] {
  if (!isObj(data)) return []
  const problems: SemanticProblem[] = []
  const declared = isObj(data.variables) ? (data.variables as Record<string, Variable>) : {}
  for (const [name, declaration] of Object.entries(declared)) {
    if (!isObj(declaration) || declaration.default === undefined) continue
    const type = typeOf(declaration)
    if (typeof declaration.default !== type)
      problems.push({path: ['variables', name, 'default'], message: `the default is a ${typeof declaration.default}, but the variable's type is ${type}`})
  }
  for (const section of ['components', 'changes'] as const) {
    if (!anyString(data[section], hasReference)) continue
    for (const {text, path, parent, index} of stringsIn(data[section], [section])) {
      if (!text.includes('${')) continue
      for (const match of text.matchAll(REFERENCE)) {
        const [whole, scope, name, fallback] = match
        if (scope === undefined) continue
        if (!NAME.test(name!)) {
          problems.push({path, message: `${whole}: "${name}" is not a ${scope === 'var' ? 'variable' : 'environment variable'} name (letters, digits and _)`})
          continue
        }
        if (scope !== 'var') continue
        if (fallback !== undefined) {
          problems.push({path, message: `${whole}: a variable's default goes in its declaration under \`variables:\`, not after :-`})
          continue
        }
        if (!Object.hasOwn(declared, name!)) {
          problems.push({path, message: `\${var.${name}}: no variable "${name}" is declared${suggestion(name!, Object.keys(declared))}; declare it under \`variables:\``})
          continue
        }
        const code = parent === undefined ? undefined : codeArguments(parent).get(index!)
        if (code)
          problems.push({
            path,
            severity: 'warning',
            message: code.shell
              ? `\${var.${name}} is pasted into the script ${code.program} runs, so a value holding quotes, ; or $( ) runs as shell code: pass it in env and write "$NAME" instead`
              : `\${var.${name}} is pasted into the code ${code.program} runs, so a value holding quotes runs as code: pass it in env and read the environment variable instead`,
          })
      }
    }
  }
  return problems
}

/** The text a value takes inside a string. */
export function valueText(value: VariableValue): string {
  return String(value)
}

export interface Substitution {
  values: Readonly<Record<string, VariableValue>>
  /** The text a sensitive variable's value is replaced with (its marker). */
  sensitiveText: (name: string) => string | undefined
  env: Readonly<Record<string, string | undefined>>
}

/**
 * `components` and `changes` with every reference replaced, on parsed values (never the file's
 * text). Returns the problems (an unset environment variable without a default) instead of a spec.
 */
export function substitute(spec: CompctlFile, using: Substitution): {spec: CompctlFile; problems: Array<{path: string; message: string}>} {
  const problems: Array<{path: string; message: string}> = []
  const replace = (text: string, path: PathSegment[]): string =>
    text.includes('${')
      ? text.replace(REFERENCE, (whole, scope: string | undefined, name: string, fallback: string | undefined) => {
          // In a change's argv, `${name}` is a target var replaced at run time: that pass reads `$${` as the literal.
          if (scope === undefined) return isChangeArgvElement(path) ? '$${' : '${'
          if (scope === 'env') {
            const value = using.env[name]
            // As in the shell, `:-` also replaces an empty value.
            if (value !== undefined && (value !== '' || fallback === undefined)) return value
            if (fallback !== undefined) return fallback
            problems.push({path: path.join('.'), message: `${whole}: ${name} is not set in compctl's environment; set it, or give a default: \${env.${name}:-VALUE}`})
            return whole
          }
          return using.sensitiveText(name) ?? valueText(using.values[name]!)
        })
      : text
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') return replace(value, path)
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]))
    if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]))
    return value
  }
  const out: CompctlFile = {...spec}
  if (spec.components) out.components = walk(spec.components, ['components']) as CompctlFile['components']
  if (spec.changes) out.changes = walk(spec.changes, ['changes']) as CompctlFile['changes']
  return {spec: out, problems}
}

/** `changes.NAME[.backout.K].PHASE.run[I][J]`: an element of an argv command of a change. */
function isChangeArgvElement(path: PathSegment[]): boolean {
  const n = path.length
  return path[0] === 'changes' && n >= 6 && path[n - 3] === 'run' && typeof path[n - 2] === 'number' && typeof path[n - 1] === 'number'
}

/** Whether the file uses `${var.…}`, `${env.…}` or `$${` anywhere, or env files: if not, loading skips resolution. */
export function usesInputs(spec: CompctlFile): boolean {
  if (spec.variables && Object.keys(spec.variables).length > 0) return true
  // Each of the three contains `${`: most strings are ruled out by one search.
  const ours = (text: string) => text.includes('${') && (text.includes('${var.') || text.includes('${env.') || text.includes('$${'))
  if (anyString(spec.components, ours) || anyString(spec.changes, ours)) return true
  return Object.values(spec.components ?? {}).some((component) => (component.envFile?.length ?? 0) > 0)
}
