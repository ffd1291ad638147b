import {constants} from 'node:os'
import {findCycles} from '../planner/graph.js'
import type {PathSegment} from './locate.js'

/** A problem the schema cannot see: references, cycles, vars, signals, patterns. */
export interface SemanticProblem {
  path: PathSegment[]
  atKey?: boolean
  message: string
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const entries = (v: unknown): Array<[string, Obj]> => (isObj(v) ? Object.entries(v).filter((e): e is [string, Obj] => isObj(e[1])) : [])
const strings = (v: unknown): Array<[number, string]> =>
  Array.isArray(v) ? v.map((s, i) => [i, s] as [number, unknown]).filter((e): e is [number, string] => typeof e[1] === 'string') : []

const PHASES = ['check', 'apply', 'verify', 'verifyBackout'] as const
const VAR_REF = /\$\{([^}]*)\}/g

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
  const componentNames = new Set(components.map(([n]) => n))
  const known = new Set([...componentNames, ...changes.map(([n]) => n)])

  for (const [name] of changes) {
    if (componentNames.has(name))
      problems.push({path: ['changes', name], atKey: true, message: `"${name}" is also a component; components and changes share one namespace, rename one`})
  }

  const items: Array<[string, string, Obj]> = [
    ...components.map(([n, c]): [string, string, Obj] => ['components', n, c]),
    ...changes.map(([n, c]): [string, string, Obj] => ['changes', n, c]),
  ]
  for (const [section, name, item] of items) {
    for (const [i, dep] of strings(item.dependsOn)) {
      if (!known.has(dep)) problems.push({path: [section, name, 'dependsOn', i], message: `unknown name "${dep}": no component or change is called that`})
    }
    if (typeof item.lock === 'string' && !Object.hasOwn(locks, item.lock))
      problems.push({path: [section, name, 'lock'], message: `unknown lock "${item.lock}": declare it under \`locks:\` (e.g. locks: { ${item.lock}: { holders: 1 } })`})
  }

  // Cycles, over components and changes together since dependsOn may name either.
  const depsOf = new Map(items.map(([, name, item]) => [name, strings(item.dependsOn).map(([, d]) => d)]))
  const sectionOf = new Map(items.map(([section, name]) => [name, section]))
  for (const cycle of findCycles([...depsOf.keys()], (n) => depsOf.get(n) ?? [])) {
    const [first, second] = cycle
    const index = (depsOf.get(first!) ?? []).indexOf(second!)
    problems.push({path: [sectionOf.get(first!)!, first!, 'dependsOn', index], message: `dependency cycle: ${cycle.join(' → ')}`})
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
    }
  }

  for (const [name, change] of changes) problems.push(...changeProblems(name, change))
  return problems
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
    argv.forEach((arg, j) => {
      if (typeof arg !== 'string') return
      for (const match of arg.matchAll(VAR_REF)) {
        const variable = match[1]!
        const missing = targets
          .filter((t) => !(isObj(t.vars) && Object.hasOwn(t.vars, variable)) && !Object.hasOwn(changeVars, variable))
          .map((t) => String(t.name))
        if (missing.length > 0)
          problems.push({
            path: [...path, j],
            message: `\${${variable}} is not defined for target${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: define it in the target's vars or the change's vars`,
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
        problems.push({path: [...path, stream], message: `not a valid regular expression: ${(error as Error).message}`})
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
