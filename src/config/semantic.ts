import {constants} from 'node:os'
import {basename} from 'node:path'
import {findCycles} from '../planner/graph.js'
import type {PathSegment} from './locate.js'
import {suggestion} from './schema-messages.js'

/** A problem the schema cannot see: references, cycles, vars, signals, patterns. */
export interface SemanticProblem {
  path: PathSegment[]
  atKey?: boolean
  message: string
  /** A warning is reported but does not make the file invalid. */
  severity?: 'warning'
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const entries = (v: unknown): Array<[string, Obj]> => (isObj(v) ? Object.entries(v).filter((e): e is [string, Obj] => isObj(e[1])) : [])

const PHASES = ['check', 'apply', 'verify', 'verifyBackout'] as const
const VAR_REF = /\$\{([^}]*)\}/g

/** A component or change, with the names it depends on (those that are strings). */
interface Item {
  section: 'components' | 'changes'
  name: string
  spec: Obj
  deps: string[]
}

function dependencies(spec: Obj): string[] {
  const list = spec.dependsOn
  if (!Array.isArray(list)) return []
  const out: string[] = []
  for (const dep of list) if (typeof dep === 'string') out.push(dep)
  return out
}

/**
 * Checks a parsed file (which may also have failed the schema: every check here tolerates
 * any shape, so all problems are reported together).
 */
export function semanticProblems(file: unknown): SemanticProblem[] {
  if (!isObj(file)) return []
  const problems: SemanticProblem[] = []
  const components = entries(file.components)
  const changes = entries(file.changes)
  const locks = isObj(file.locks) ? file.locks : {}
  const items: Item[] = []
  for (const [name, spec] of components) items.push({section: 'components', name, spec, deps: dependencies(spec)})
  for (const [name, spec] of changes) items.push({section: 'changes', name, spec, deps: dependencies(spec)})
  const depsOf = new Map<string, string[]>()
  for (const item of items) {
    if (item.section === 'changes' && depsOf.has(item.name))
      problems.push({path: ['changes', item.name], atKey: true, message: `"${item.name}" is also a component; components and changes share one namespace, rename one`})
    else depsOf.set(item.name, item.deps)
  }

  for (const {section, name, spec} of items) {
    const list = spec.dependsOn
    if (Array.isArray(list))
      list.forEach((dep, i) => {
        if (typeof dep === 'string' && !depsOf.has(dep))
          problems.push({path: [section, name, 'dependsOn', i], message: `unknown name "${dep}": no component or change is called that${nearest(dep, depsOf.keys())}`})
      })
    if (typeof spec.lock === 'string' && !Object.hasOwn(locks, spec.lock))
      problems.push({
        path: [section, name, 'lock'],
        message: `unknown lock "${spec.lock}"${nearest(spec.lock, Object.keys(locks))}: declare it under \`locks:\` (e.g. locks: { ${spec.lock}: { holders: 1 } })`,
      })
  }

  // Cycles, over components and changes together since dependsOn may name either.
  const tangled = unorderable(depsOf)
  if (tangled.length > 0) {
    const itemOf = new Map(items.map((item) => [item.name, item]))
    for (const cycle of findCycles(tangled, (n) => depsOf.get(n) ?? [])) {
      const [first, second] = cycle as [string, string]
      const item = itemOf.get(first)!
      const index = (item.spec.dependsOn as unknown[]).indexOf(second)
      const message = cycle.length === 2 ? `"${first}" depends on itself: remove it from its dependsOn` : `dependency cycle: ${cycle.join(' → ')}`
      problems.push({path: [item.section, first, 'dependsOn', index], message})
    }
  }

  for (const [name, component] of components) {
    for (const [field, sub] of [['stop', 'signal'], ['reload', 'signal']] as const) {
      const value = isObj(component[field]) ? (component[field] as Obj)[sub] : undefined
      if (typeof value === 'string' && /^SIG[A-Z0-9]+$/.test(value) && !(value in constants.signals))
        problems.push({path: ['components', name, field, sub], message: `unknown signal "${value}" (for example SIGTERM, SIGINT, SIGHUP, SIGUSR1)`})
    }
    for (const probeField of ['ready', 'health']) {
      const probe = component[probeField]
      if (!isObj(probe)) continue
      const kinds = ['tcp', 'http', 'command'].filter((k) => probe[k] !== undefined)
      if (kinds.length > 1) problems.push({path: ['components', name, probeField], message: `use one of tcp, http, command, not ${kinds.join(' and ')}`})
      // `ready` without a probe means "running (for `after`)"; a health check without one would always pass.
      if (kinds.length === 0 && probeField === 'health')
        problems.push({path: ['components', name, probeField], message: 'a health check needs one of tcp, http, command'})
    }
  }

  for (const [name, change] of changes) problems.push(...changeProblems(name, change))
  return problems
}

/**
 * The names a topological sort cannot place: those on a cycle and those that wait for one.
 * Linear, so the search for the cycles themselves only runs when there are some.
 */
function unorderable(depsOf: ReadonlyMap<string, readonly string[]>): string[] {
  const names = [...depsOf.keys()]
  const indexOf = new Map(names.map((name, i) => [name, i]))
  const waiting = new Int32Array(names.length)
  const dependents: number[][] = names.map(() => [])
  names.forEach((name, i) => {
    for (const dep of depsOf.get(name)!) {
      const d = indexOf.get(dep)
      if (d === undefined) continue
      waiting[i]!++
      dependents[d]!.push(i)
    }
  })
  const ready: number[] = []
  waiting.forEach((count, i) => {
    if (count === 0) ready.push(i)
  })
  let placed = 0
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    placed++
    for (const dependent of dependents[next]!) if (--waiting[dependent]! === 0) ready.push(dependent)
  }
  return placed === names.length ? [] : names.filter((_, i) => waiting[i]! > 0)
}

/**
 * ` (did you mean "x"?)` for a close name, else nothing: a list of every name would drown the
 * message. Skipped for huge files, where comparing with every name would cost more than it helps.
 */
function nearest(name: string, known: Iterable<string>): string {
  const names = [...known]
  if (names.length > 2000) return ''
  const hint = suggestion(name, names)
  return hint.startsWith(' (did you mean') ? hint : ''
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'mksh', 'zsh'])

/** In `[sh, -c, SCRIPT, ...]` (options may come first), the index of SCRIPT; -1 for any other argv. */
export function shellScriptIndex(argv: unknown[]): number {
  if (typeof argv[0] !== 'string' || !SHELLS.has(basename(argv[0]))) return -1
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]
    if (typeof arg !== 'string' || !/^([-+][A-Za-z]+|--[a-z][a-z-]*)$/.test(arg)) return -1
    if (arg === '-o' || arg === '+o') i++
    else if (arg.startsWith('--')) continue
    else if (arg.startsWith('-') && arg.includes('c')) return i + 1 < argv.length ? i + 1 : -1
  }
  return -1
}

function changeProblems(name: string, change: Obj): SemanticProblem[] {
  const problems: SemanticProblem[] = []
  const changeVars = isObj(change.vars) ? change.vars : {}
  const targets = Array.isArray(change.targets) ? change.targets.filter(isObj) : [{name: 'local'}]
  const seen = new Map<string, number>()
  targets.forEach((target, i) => {
    if (typeof target.name !== 'string') return
    if (seen.has(target.name))
      problems.push({path: ['changes', name, 'targets', i, 'name'], message: `target "${target.name}" is listed twice (first as targets[${seen.get(target.name)}])`})
    else seen.set(target.name, i)
  })

  // Every argv command of the change, with where it is.
  const commands: Array<{path: PathSegment[]; argv: unknown[]}> = []
  const phaseCommands = (phase: unknown, path: PathSegment[]) => {
    if (!isObj(phase) || !Array.isArray(phase.run)) return
    phase.run.forEach((cmd, i) => {
      if (Array.isArray(cmd)) commands.push({path: [...path, 'run', i], argv: cmd})
    })
  }
  for (const phase of PHASES) phaseCommands(change[phase], ['changes', name, phase])
  if (Array.isArray(change.backout)) change.backout.forEach((entry, i) => phaseCommands(entry, ['changes', name, 'backout', i]))

  for (const {path, argv} of commands) {
    const script = shellScriptIndex(argv)
    argv.forEach((arg, j) => {
      if (typeof arg !== 'string') return
      for (const match of arg.matchAll(VAR_REF)) {
        const variable = match[1]!
        // ${var.X} and ${env.X} are the file's variables and compctl's environment (checked in variables.ts); $${ is a literal.
        if (/^(var|env)\./.test(variable) || arg[match.index - 1] === '$') continue
        const missing = targets
          .filter((t) => !(isObj(t.vars) && Object.hasOwn(t.vars, variable)) && !Object.hasOwn(changeVars, variable))
          .map((t) => String(t.name))
        if (missing.length > 0)
          problems.push({
            path: [...path, j],
            message: `\${${variable}} is not defined for target${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: define it in the target's vars or the change's vars`,
          })
        if (j === script)
          problems.push({
            path: [...path, j],
            severity: 'warning',
            message: `\${${variable}} is pasted into the script ${String(argv[0])} runs, so a value holding quotes, ; or $( ) runs as shell code: write "$${variable}" instead (every command gets the vars as environment variables)`,
          })
      }
    })
  }

  // Patterns are regular expressions; one that does not compile would only fail at run time.
  const patternAt = (obj: unknown, path: PathSegment[]) => {
    if (!isObj(obj)) return
    for (const stream of ['stdout', 'stderr']) {
      const pattern = obj[stream]
      if (typeof pattern !== 'string') continue
      try {
        new RegExp(pattern)
      } catch (error) {
        const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
        problems.push({path: [...path, stream], message: `not a valid regular expression (${why}); escape a literal character with \\, e.g. \\( or \\.`})
      }
    }
  }
  for (const phase of PHASES) if (isObj(change[phase])) patternAt((change[phase] as Obj).expect, ['changes', name, phase, 'expect'])
  if (Array.isArray(change.backout))
    change.backout.forEach((entry, i) => {
      if (!isObj(entry)) return
      patternAt(entry.when, ['changes', name, 'backout', i, 'when'])
      patternAt(entry.expect, ['changes', name, 'backout', i, 'expect'])
    })
  return problems
}
