import type {Change, CompctlFile, Component} from '../model/generated/compctl.js'
import type {CompctlPlan, DiffEntry, PlanStep, StepAssumption} from '../model/generated/plan.js'
import type {ChangeState, CompctlState, ComponentState} from '../model/generated/state.js'
import type {Observation} from '../process/observe.js'
import {envFileIndexes} from '../secrets/secrets.js'
import {createHash} from 'node:crypto'
import {canonicalJson, sortKeys, specHash} from '../util/canonical.js'
import {specDiff} from './diff.js'
import {topologicalOrder} from './graph.js'
import {byCodeUnits} from '../util/order.js'
import {changeImpacts, componentImpacts, strongest} from './impact.js'
import {movedState, resolveMoves, type RecordMove} from './moves.js'

export type Action = PlanStep['action']

export interface PlanOptions {
  destroy: boolean
  /** Limit the plan to these names and what they depend on (empty: everything). */
  targets: string[]
  /** Force a restart (component) or re-run (change) of these. */
  replace: string[]
  refresh: boolean
}

/** Everything the planner looks at. It does no I/O: the caller reads files and observes processes. */
export interface PlanInput {
  source: {file: string; baseDir: string; stateDir: string}
  project: string
  spec: CompctlFile
  state: CompctlState | null
  /** For each recorded component with a pid: what refresh found. Ignored without `refresh`. */
  observed: Record<string, Observation>
  /** For each desired component with `watch`: each file's content hash now (null: missing). */
  watched: Record<string, Record<string, string | null>>
  /** Hashes of the variable values and env files the spec was resolved with (none: the file uses none). */
  inputs?: Record<string, string>
  options: PlanOptions
}

/** Default kind of a component that names none. */
export const DEFAULT_KIND = 'dispensable'

const KINDS: ReadonlySet<string> = new Set<NonNullable<Component['kind']>>(['core', 'needed', 'dispensable'])

/**
 * Diffs the desired spec against the recorded state (refreshed by `observed`) into an ordered
 * plan. Pure and deterministic: the same input always gives the same plan, byte for byte.
 */
export function buildPlan(input: PlanInput): CompctlPlan {
  const {spec} = input
  const options = normalizeOptions(input.options)
  // `moved:` renames records first; everything else is planned against the renamed state. Under
  // --destroy records are stopped under the names they have.
  const {moves, conflicts} = options.destroy ? {moves: [], conflicts: []} : resolveMoves(spec, input.state)
  // A move the state refuses (the caller reports it) leaves its record alone rather than stopping it.
  const held = new Set(conflicts.map((conflict) => conflict.from))
  const state = input.state && movedState(input.state, moves)
  const movedFrom = new Map(moves.map((move) => [move.to, move.from]))
  const desiredComponents = spec.components ?? {}
  const desiredChanges = spec.changes ?? {}
  const recordedComponents = state?.components ?? {}
  const recordedChanges = state?.changes ?? {}
  const replace = new Set(options.replace)

  const steps: PlanStep[] = moves.map((move) => moveStep(move, move.type === 'component' ? recordedComponents[move.to]! : recordedChanges[move.to]!))
  // A recorded process is observed under the name it had when refresh looked.
  const liveness = (name: string, recorded: ComponentState) =>
    processLiveness(recorded, options.refresh ? input.observed[movedFrom.get(name) ?? name] : undefined)

  // Stops: removed components, or everything under --destroy.
  for (const name of Object.keys(recordedComponents).sort()) {
    if (!options.destroy && (Object.hasOwn(desiredComponents, name) || held.has(name))) continue
    const recorded = recordedComponents[name]!
    const live = liveness(name, recorded)
    const why = options.destroy ? 'destroy' : 'removed from the file'
    const reason = live.alive ? `${why}` : `${why}; ${live.why ?? 'not running'}, so this only forgets it`
    steps.push(componentStep('stop', name, recorded.spec as Component, recorded, reason, [], undefined))
  }

  if (!options.destroy) {
    for (const name of Object.keys(desiredComponents).sort()) {
      const desired = desiredComponents[name]!
      const step = planComponent(name, desired, recordedComponents[name], input.watched[name], replace.has(name), (r) => liveness(name, r))
      if (step) steps.push(step)
    }
    for (const name of Object.keys(desiredChanges).sort()) {
      const step = planChange(name, desiredChanges[name]!, recordedChanges[name], replace.has(name))
      if (step) steps.push(step)
    }
  }

  const selected = options.targets.length > 0 ? limitToTargets(steps, options.targets, spec, recordedComponents) : steps
  const ordered = orderSteps(selected, spec, recordedComponents)

  const summary: CompctlPlan['summary'] = {start: 0, stop: 0, restart: 0, reload: 0, update: 0, change: 0, total: ordered.length}
  // `move` is counted only when there is one, so plans without moves keep their bytes (and ids).
  for (const step of ordered) summary[step.action] = (summary[step.action] ?? 0) + 1

  const plan: CompctlPlan = {
    format_version: '1',
    id: '',
    project: input.project,
    lineage: state?.lineage ?? null,
    source: input.source,
    options,
    settings: (spec.settings ?? {}) as Record<string, unknown>,
    locks: (spec.locks ?? {}) as Record<string, unknown>,
    ...(input.inputs && Object.keys(input.inputs).length > 0 ? {inputs: sortKeys(input.inputs) as Record<string, string>} : {}),
    steps: ordered,
    summary,
  }
  // The id is the hash of everything else: the same plan always has the same id.
  plan.id = 'plan-' + planHash(plan).slice(0, 24)
  return plan
}

/**
 * The sha256 of `canonicalJson({...plan, id: undefined})`, fed to the hash a step at a time: the
 * whole text (megabytes for a big plan) and a sorted copy of every step are never held at once.
 */
function planHash(plan: CompctlPlan): string {
  const hash = createHash('sha256')
  const fields: Record<string, unknown> = {...plan, id: undefined}
  let separator = '{'
  // The plan's own keys are names (no array index), so sorted they are in canonicalJson's order.
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key]
    if (value === undefined) continue
    hash.update(`${separator}${JSON.stringify(key)}:`)
    separator = ','
    if (key !== 'steps') hash.update(canonicalJson(value))
    else {
      hash.update('[')
      plan.steps.forEach((step, i) => hash.update(i === 0 ? canonicalJson(step) : ',' + canonicalJson(step)))
      hash.update(']')
    }
  }
  hash.update(separator === '{' ? '{}' : '}')
  return hash.digest('hex')
}

/** The options as the plan records them: booleans (a caller's missing flag is false), names sorted and unique. */
function normalizeOptions(options: PlanOptions): PlanOptions {
  const names = (list: readonly string[] | undefined) => [...new Set(list ?? [])].sort(byCodeUnits)
  return {destroy: options.destroy === true, targets: names(options.targets), replace: names(options.replace), refresh: options.refresh === true}
}

/** Specs are plain data; the plan and the state hold them as records. */
const asRecord = (spec: Component | Change): Record<string, unknown> => spec as unknown as Record<string, unknown>

interface Liveness {
  alive: boolean
  /** Why it counts as not running, when it was recorded as running. */
  why?: string
}

function processLiveness(recorded: ComponentState, observed: Observation | undefined): Liveness {
  const claimed = recorded.status === 'running' || recorded.status === 'starting' || recorded.status === 'stopping'
  if (recorded.pid === null || recorded.pid === undefined) return {alive: false, why: claimed ? 'no process recorded' : `recorded ${recorded.status}`}
  if (!claimed) return {alive: false, why: `recorded ${recorded.status}`}
  if (observed === undefined) return {alive: true}
  if (!observed.alive) return {alive: false, why: `recorded ${recorded.status} (pid ${recorded.pid}) but the process is gone`}
  if (!observed.sameProcess) return {alive: false, why: `recorded pid ${recorded.pid} now belongs to another process`}
  return {alive: true}
}

function assumption(recorded: ComponentState | ChangeState | undefined): StepAssumption {
  const component = recorded as ComponentState | undefined
  return {
    specHash: recorded?.specHash ?? null,
    status: recorded?.status ?? null,
    pid: component?.pid ?? null,
    startTime: component?.startTime ?? null,
  }
}

function componentStep(
  action: Action,
  name: string,
  spec: Component,
  recorded: ComponentState | undefined,
  reason: string,
  diff: DiffEntry[],
  watched: Record<string, string | null> | undefined,
): PlanStep {
  const assumes = assumption(recorded)
  if (watched !== undefined && action !== 'stop') assumes.watched = watched
  // A stop acts with the recorded spec, which the state schema only knows as an object.
  const kind = KINDS.has(spec.kind as string) ? spec.kind! : DEFAULT_KIND
  return {
    id: `${action}.${name}`,
    action,
    type: 'component',
    name,
    kind,
    priority: Number.isSafeInteger(spec.priority) ? spec.priority! : 0,
    waitsFor: [],
    lock: action === 'update' || typeof spec.lock !== 'string' ? null : spec.lock,
    reason,
    diff,
    assumes,
    spec: asRecord(spec),
    specHash: specHash(spec),
  }
}

/** Renames a record: no stop, no start. It keeps the record's spec; a step after it acts on any change. */
function moveStep(move: RecordMove, recorded: ComponentState | ChangeState): PlanStep {
  const spec = recorded.spec as Component
  const step: PlanStep = {
    id: `move.${move.to}`,
    action: 'move',
    type: move.type,
    name: move.to,
    from: move.from,
    priority: 0,
    waitsFor: [],
    lock: null,
    reason: `${move.from} is now ${move.to} (moved[${move.index}] in the file): the record is renamed, nothing is stopped or started`,
    diff: [],
    assumes: assumption(recorded),
    spec: recorded.spec,
    specHash: recorded.specHash,
  }
  if (move.type === 'component') {
    step.kind = KINDS.has(spec.kind as string) ? spec.kind! : DEFAULT_KIND
    step.priority = Number.isSafeInteger(spec.priority) ? spec.priority! : 0
  }
  return step
}

function watchDiff(before: Record<string, string | null> | undefined, after: Record<string, string | null> | undefined): DiffEntry[] {
  const out: DiffEntry[] = []
  const files = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort()
  for (const file of files) {
    const was = before?.[file]
    const now = after?.[file]
    if (was === now || was === undefined || now === undefined) continue // a file added to or dropped from `watch` shows as the `watch` field
    out.push({path: `watch:${file}`, before: was ?? '(missing)', after: now ?? '(missing)', impact: 'reload'})
  }
  return out
}

function describeFields(diff: DiffEntry[]): string {
  const fields = [...new Set(diff.map((d) => (d.path.startsWith('watch:') ? d.path : d.path.split('.')[0]!)))]
  return fields.length <= 4 ? fields.join(', ') : `${fields.slice(0, 4).join(', ')} and ${fields.length - 4} more`
}

/** ` (env file a.env)` when values read from env files changed, naming the files; else nothing. */
function envFilesChanged(diff: DiffEntry[], before: Component, after: Component): string {
  const files = new Set<string>()
  for (const entry of diff) {
    if (!entry.path.startsWith('env.')) continue
    for (const [value, spec] of [[entry.before, before], [entry.after, after]] as const)
      if (typeof value === 'string') for (const index of envFileIndexes(value)) if (typeof spec.envFile?.[index] === 'string') files.add(spec.envFile[index])
  }
  if (files.size === 0) return ''
  return ` (env file${files.size > 1 ? 's' : ''} ${[...files].sort().join(', ')})`
}

function planComponent(
  name: string,
  desired: Component,
  recorded: ComponentState | undefined,
  watched: Record<string, string | null> | undefined,
  forced: boolean,
  liveness: (recorded: ComponentState) => Liveness,
): PlanStep | null {
  if (!recorded) return componentStep('start', name, desired, undefined, 'new component', [], watched)
  const diff = [...specDiff(recorded.spec, asRecord(desired), componentImpacts), ...watchDiff(recorded.watched, watched)]
  const live = liveness(recorded)
  const step = (action: Action, reason: string) => componentStep(action, name, desired, recorded, reason, diff, watched)

  if (recorded.pending) {
    const what = `interrupted during ${recorded.pending.action} (${recorded.pending.since})`
    return live.alive ? step('restart', `${what}; restarting to a known state`) : step('start', `${what}; not running`)
  }
  if (!live.alive) {
    const failed = recorded.status === 'failed' && recorded.lastError ? `last start failed: ${recorded.lastError}` : live.why ?? 'not running'
    return step('start', diff.length > 0 ? `${failed}; spec changed: ${describeFields(diff)}` : failed)
  }
  if (forced) return step('restart', 'forced by --replace')
  const adopted = adoptedCommandDiffers(recorded, desired)
  if (adopted) {
    if (!diff.some((d) => d.path === 'command')) diff.unshift({path: 'command', before: adopted.running, after: adopted.desired, impact: 'restart'})
    return step('restart', `the adopted process's command differs from the desired command: it runs ${canonicalJson(adopted.running)}, the file wants ${canonicalJson(adopted.desired)}`)
  }
  if (diff.length === 0) return null
  const impact = strongest(diff.map((d) => d.impact))
  const fields = describeFields(diff)
  if (impact === 'none') return step('update', `${fields} changed; the process is left alone`)
  if (impact === 'reload') {
    if (desired.reload) return step('reload', `${fields} changed; reload with ${desired.reload.signal ?? 'SIGHUP'}`)
    return step('restart', `${fields} changed; no \`reload\` is configured, so restart`)
  }
  return step('restart', `${fields} changed${envFilesChanged(diff, recorded.spec as Component, desired)}`)
}

/** The argv a component's command runs as: a string command runs with `/bin/sh -c`. */
export function commandArgv(command: Component['command']): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : [...command]
}

export function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i])
}

/** For a process adopted by `compctl import`: its command line and the desired one, when they differ. */
function adoptedCommandDiffers(recorded: ComponentState, desired: Component): {running: string[]; desired: string[]} | null {
  if (!recorded.adopted) return null
  const wanted = commandArgv(desired.command)
  const running = recorded.adopted.command
  return sameArgv(running, wanted) ? null : {running, desired: wanted}
}

/** Targets in batches of `serial`. */
export function batchesOf(change: Change): string[][] {
  const names = (change.targets ?? [{name: 'local'}]).map((t) => t.name)
  const size = change.serial === 'all' ? names.length : (change.serial ?? 1)
  const batches: string[][] = []
  for (let i = 0; i < names.length; i += size) batches.push(names.slice(i, i + size))
  return batches
}

function planChange(name: string, desired: Change, recorded: ChangeState | undefined, forced: boolean): PlanStep | null {
  const diff = recorded ? specDiff(recorded.spec, asRecord(desired), changeImpacts) : []
  const make = (action: Action, reason: string): PlanStep => ({
    id: `${action}.${name}`,
    action,
    type: 'change',
    name,
    priority: 0,
    waitsFor: [],
    lock: action === 'update' ? null : (desired.lock ?? null),
    reason,
    diff,
    assumes: assumption(recorded),
    spec: asRecord(desired),
    specHash: specHash(desired),
    batches: batchesOf(desired),
  })
  if (!recorded) return make('change', 'new change')
  if (recorded.pending || recorded.status === 'running')
    return make('change', `interrupted (began ${recorded.pending?.since ?? recorded.lastRunAt ?? 'earlier'}); runs again from check`)
  if (forced) return make('change', 'forced by --replace')
  const rerun = diff.filter((d) => d.impact !== 'none')
  if (rerun.length > 0) return make('change', `${describeFields(rerun)} changed`)
  if (recorded.status === 'failed') {
    const failed = Object.entries(recorded.targets)
      .filter(([, t]) => t.outcome !== 'success')
      .map(([target, t]) => `${target}: ${t.outcome}`)
    return make('change', `last run failed${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`)
  }
  if (diff.length > 0) return make('update', `${describeFields(diff)} changed; it does not run again`)
  return null
}

/**
 * Keeps the steps of the named targets and of everything they depend on; of stops, the
 * targets' and those of what depends on them, since a dependency never stops before its dependents.
 */
function limitToTargets(steps: PlanStep[], targets: string[], spec: CompctlFile, recorded: Record<string, ComponentState>): PlanStep[] {
  const needed = closure(targets, (name) => dependsOnOf(name, spec, recorded))
  const stopping = new Set(steps.filter((s) => s.action === 'stop').map((s) => s.name))
  const dependents = new Map<string, string[]>()
  for (const name of stopping) {
    for (const dependency of recordedDependsOn(recorded[name])) {
      const list = dependents.get(dependency)
      if (list) list.push(name)
      else dependents.set(dependency, [name])
    }
  }
  const stopped = closure(
    targets.filter((t) => stopping.has(t)),
    (name) => dependents.get(name) ?? [],
  )
  return steps.filter((s) => (s.action === 'stop' ? stopped.has(s.name) : needed.has(s.name)))
}

/** The names reached from `start` by following `next`, `start` included. */
function closure(start: readonly string[], next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>()
  const queue = [...start]
  while (queue.length > 0) {
    const name = queue.pop()!
    if (seen.has(name)) continue
    seen.add(name)
    queue.push(...next(name))
  }
  return seen
}

/** What a recorded component depends on. The state's spec is only known to be an object: take the names, ignore the rest. */
function recordedDependsOn(recorded: ComponentState | undefined): string[] {
  const dependsOn = (recorded?.spec as {dependsOn?: unknown} | undefined)?.dependsOn
  return Array.isArray(dependsOn) ? dependsOn.filter((d): d is string => typeof d === 'string') : []
}

function dependsOnOf(name: string, spec: CompctlFile, recorded: Record<string, ComponentState>): string[] {
  const desired = spec.components?.[name] ?? spec.changes?.[name]
  if (desired) return desired.dependsOn ?? []
  return recordedDependsOn(recorded[name])
}

/**
 * Orders the steps: all stops first (dependents before their dependencies; lowest priority
 * first), then the rest in dependency order (highest priority first), ties by name. Each step
 * waits for its nearest dependencies in the plan; the first steps after the stops wait for them.
 */
function orderSteps(steps: PlanStep[], spec: CompctlFile, recorded: Record<string, ComponentState>): PlanStep[] {
  const moves = steps.filter((s) => s.action === 'move')
  const stops = steps.filter((s) => s.action === 'stop')
  const others = steps.filter((s) => s.action !== 'stop' && s.action !== 'move')

  // Stops run on the recorded graph, reversed: a stop waits for the stops of what depends on it.
  const stopByName = new Map(stops.map((s) => [s.name, s]))
  const nearestStop = nearestInPlan(new Set(stopByName.keys()), (name) => recordedDependsOn(recorded[name]))
  const stopWaits = new Map<PlanStep, PlanStep[]>(stops.map((s) => [s, []]))
  for (const stop of stops) for (const dependency of nearestStop(stop.name)) stopWaits.get(stopByName.get(dependency)!)!.push(stop)
  const orderedStops = topologicalOrder(stops, (s) => stopWaits.get(s)!, (a, b) => a.priority - b.priority || byCodeUnits(a.name, b.name))

  const otherByName = new Map(others.map((s) => [s.name, s]))
  const desiredDeps = (name: string) => (spec.components?.[name] ?? spec.changes?.[name])?.dependsOn ?? []
  const nearestOther = nearestInPlan(new Set(otherByName.keys()), desiredDeps)
  const otherWaits = new Map<PlanStep, PlanStep[]>(others.map((s) => [s, nearestOther(s.name).map((n) => otherByName.get(n)!)]))
  const orderedOthers = topologicalOrder(others, (s) => otherWaits.get(s)!, (a, b) => b.priority - a.priority || byCodeUnits(a.name, b.name))

  // Moves come first and wait for nothing: they only rename records.
  const ordered = [...moves, ...orderedStops, ...orderedOthers]
  const position = new Map(ordered.map((s, i) => [s, i]))
  // Only earlier steps: a cycle in the recorded graph was broken by the ordering, and the wait that closed it goes.
  const earlier = (step: PlanStep, list: PlanStep[]) =>
    list.filter((w) => position.get(w)! < position.get(step)!).sort((a, b) => position.get(a)! - position.get(b)!)
  for (const stop of orderedStops) stop.waitsFor = earlier(stop, stopWaits.get(stop)!).map((s) => s.id)
  const waitedOn = new Set(orderedStops.flatMap((s) => s.waitsFor))
  const lastStops = orderedStops.filter((s) => !waitedOn.has(s.id))
  const moveOf = new Map(moves.map((s) => [s.name, s.id]))
  for (const step of orderedOthers) {
    const waits = otherWaits.get(step)!
    const move = moveOf.get(step.name)
    step.waitsFor = [...(move ? [move] : []), ...(waits.length > 0 ? earlier(step, waits) : lastStops).map((s) => s.id)]
  }
  return ordered
}

/**
 * For a name, the nearest names it depends on that have a step: a dependency without a step is
 * looked through to its own dependencies. Memoized and iterative, so a whole plan costs one walk
 * of the graph however deep its chains.
 */
function nearestInPlan(inPlan: ReadonlySet<string>, depsOf: (name: string) => string[]): (name: string) => string[] {
  // through(n): the steps reached from n's dependencies, looking through the ones without a step.
  const through = new Map<string, string[]>()
  const visit = (root: string) => {
    const stack: Array<{name: string; expanded: boolean}> = [{name: root, expanded: false}]
    const visiting = new Set<string>()
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!
      if (through.has(frame.name)) {
        stack.pop()
        continue
      }
      const deps = depsOf(frame.name)
      if (!frame.expanded) {
        frame.expanded = true
        visiting.add(frame.name)
        for (const dep of deps) if (!inPlan.has(dep) && !through.has(dep) && !visiting.has(dep)) stack.push({name: dep, expanded: false})
        continue
      }
      const out = new Set<string>()
      for (const dep of deps) {
        if (inPlan.has(dep)) out.add(dep)
        else for (const n of through.get(dep) ?? []) out.add(n)
      }
      through.set(frame.name, [...out].sort())
      visiting.delete(frame.name)
      stack.pop()
    }
  }
  return (name) => {
    visit(name)
    return through.get(name)!
  }
}
