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
const SIGNAL_FIELDS = ['stop', 'reload'] as const
const PROBE_FIELDS = ['ready', 'health'] as const
const PROBE_KINDS = ['tcp', 'http', 'command', 'log'] as const
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
      for (let i = 0; i < list.length; i++) {
        const dep: unknown = list[i]
        if (typeof dep === 'string' && !depsOf.has(dep))
          problems.push({path: [section, name, 'dependsOn', i], message: `unknown name "${dep}": no component or change is called that${nearest(dep, depsOf.keys())}`})
      }
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
    for (const field of SIGNAL_FIELDS) {
      const value = isObj(component[field]) ? (component[field] as Obj).signal : undefined
      if (typeof value === 'string' && /^SIG[A-Z0-9]+$/.test(value) && !(value in constants.signals))
        problems.push({path: ['components', name, field, 'signal'], message: `unknown signal "${value}" (for example SIGTERM, SIGINT, SIGHUP, SIGUSR1)`})
    }
    for (const probeField of PROBE_FIELDS) {
      const probe = component[probeField]
      if (!isObj(probe)) continue
      const kinds = PROBE_KINDS.filter((k) => probe[k] !== undefined)
      if (kinds.length > 1) problems.push({path: ['components', name, probeField], message: `use one of tcp, http, command, log, not ${kinds.join(' and ')}`})
      if (typeof probe.log === 'string') {
        const why = regexProblem(probe.log)
        if (why) problems.push({path: ['components', name, probeField, 'log'], message: why})
      }
      // `ready` without a probe means "running (for `after`)"; a health check without one would always pass.
      if (kinds.length === 0 && probeField === 'health')
        problems.push({path: ['components', name, probeField], message: 'a health check needs one of tcp, http, command'})
    }
  }

  for (const [name, change] of changes) problems.push(...changeProblems(name, change))
  problems.push(...movedProblems(file.moved, depsOf))
  return problems
}

/**
 * `moved:` entries: each destination is declared (or moves on, in a chain), no name is the
 * destination or the source of two moves, an old name is no longer declared, and no chain loops.
 */
function movedProblems(moved: unknown, declared: ReadonlyMap<string, unknown>): SemanticProblem[] {
  if (!Array.isArray(moved)) return []
  const problems: SemanticProblem[] = []
  const fromAt = new Map<string, number>()
  const toAt = new Map<string, number>()
  const next = new Map<string, {to: string; index: number}>()
  moved.forEach((entry, i) => {
    if (!isObj(entry) || typeof entry.from !== 'string' || typeof entry.to !== 'string') return
    const {from, to} = entry
    if (from === to) {
      problems.push({path: ['moved', i, 'to'], message: `moves ${from} to itself: remove this entry`})
      return
    }
    if (fromAt.has(from)) problems.push({path: ['moved', i, 'from'], message: `${from} is moved twice (first in moved[${fromAt.get(from)}]): keep one entry`})
    else fromAt.set(from, i)
    if (toAt.has(to)) problems.push({path: ['moved', i, 'to'], message: `two moves to ${to} (moved[${toAt.get(to)}] and moved[${i}]): a name can receive one record`})
    else toAt.set(to, i)
    if (declared.has(from))
      problems.push({path: ['moved', i, 'from'], message: `${from} is still declared in the file: rename it to ${to} there, or remove this move`})
    if (!next.has(from)) next.set(from, {to, index: i})
  })
  for (const {to, index} of next.values()) {
    if (!declared.has(to) && !next.has(to))
      problems.push({path: ['moved', index, 'to'], message: `${to} is not declared under components or changes${nearest(to, declared.keys())}: a move needs its new name in the file`})
  }
  // A chain that comes back to where it began never ends. Each cycle is reported once, at its smallest name.
  for (const start of next.keys()) {
    const chain = [start]
    for (let at = next.get(start)!.to; next.has(at) && chain.length <= next.size; at = next.get(at)!.to) {
      if (at === start) {
        if (chain.every((name) => start <= name))
          problems.push({path: ['moved', next.get(start)!.index, 'to'], message: `moves form a cycle: ${[...chain, start].join(' → ')}`})
        break
      }
      if (chain.includes(at)) break
      chain.push(at)
    }
  }
  return problems
}

/** Why a pattern is not a regular expression, as a message with the fix; null when it compiles. */
function regexProblem(pattern: string): string | null {
  try {
    new RegExp(pattern)
    return null
  } catch (error) {
    const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
    return `not a valid regular expression (${why}); escape a literal character with \\, e.g. \\( or \\.`
  }
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

/** Options whose next argument is code that a program runs: python3 -c, su -c, perl -e, node --eval, find -exec. */
const CODE_OPTIONS = new Set(['-c', '-ec', '-exec', '-e', '--eval'])

/**
 * The arguments of an argv that a program runs as code, each with the program: the script of a
 * shell with -c anywhere in the argv (`env sh -c`, `timeout 5 bash -ec`, `find … -exec sh -c`), and
 * the argument after any of CODE_OPTIONS (`python3 -c`, `su root -c`). The arguments after a
 * script are its positional parameters, passed as they are: no code.
 */
export function codeArguments(argv: unknown[]): Map<number, {program: string; shell: boolean}> {
  const found = new Map<number, {program: string; shell: boolean}>()
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string') return
    if (SHELLS.has(basename(arg))) {
      const script = shellScriptIndex(argv, i)
      if (script !== -1 && !found.has(script)) found.set(script, {program: arg, shell: true})
    } else if (CODE_OPTIONS.has(arg) && i + 1 < argv.length && !found.has(i + 1)) {
      found.set(i + 1, {program: String(argv[0]), shell: false})
    }
  })
  return found
}

/** In `[sh, -c, SCRIPT, ...]` starting at `start` (options may come first), the index of SCRIPT; -1 when that shell runs no -c script. */
function shellScriptIndex(argv: unknown[], start: number): number {
  for (let i = start + 1; i < argv.length; i++) {
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
    const code = codeArguments(argv)
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
        const runner = code.get(j)
        if (runner)
          problems.push({
            path: [...path, j],
            severity: 'warning',
            message: `\${${variable}} is pasted into the script ${runner.program} runs, so a value holding quotes, ; or $( ) runs as ${runner.shell ? `shell code: write "$${variable}" instead` : `code: read the environment variable ${variable} instead`} (every command gets the vars as environment variables)`,
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
      const why = regexProblem(pattern)
      if (why) problems.push({path: [...path, stream], message: why})
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
