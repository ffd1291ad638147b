import {resolve} from 'node:path'
import {loadConfigOrThrow, locateInFile, type LoadedConfig} from '../config/load.js'
import {resolveInputs, type InputSources, type ResolvedConfig} from '../config/resolve.js'
import {ProblemsError, UserError} from '../errors.js'
import type {CompctlPlan} from '../model/generated/plan.js'
import type {CompctlState} from '../model/generated/state.js'
import {resolveMoves} from '../planner/moves.js'
import {buildPlan, type PlanOptions} from '../planner/plan.js'
import {observe, type Observation} from '../process/observe.js'
import {openStateBackend, withInstance} from '../state/open.js'
import {hashInputFile} from '../util/read-input.js'

export interface PlanRequest extends PlanOptions {
  file: string
  inputs: InputSources
  /** Which instance's state (default: settings.instance, else the host name). */
  instance?: string
}

export interface PlanResult {
  plan: CompctlPlan
  config: ResolvedConfig
  state: CompctlState | null
}

/** Observes every recorded process: alive, and still the same process? */
export function observeRecorded(state: CompctlState | null): Record<string, Observation> {
  const observed: Record<string, Observation> = {}
  for (const [name, recorded] of Object.entries(state?.components ?? {})) {
    if (typeof recorded.pid === 'number' && typeof recorded.startTime === 'number')
      observed[name] = observe({pid: recorded.pid, startTime: recorded.startTime})
    else if (typeof recorded.pid === 'number') observed[name] = {alive: false, sameProcess: false}
  }
  return observed
}

/**
 * Content hash of a watched file, null when it is missing. A watched path that is a FIFO, a device
 * or a folder is an error naming it (`what`), as for every file compctl reads: reading one could
 * hang, or never end.
 */
export async function hashWatchedFile(path: string, what: string): Promise<string | null> {
  const hex = hashInputFile(path, what)
  return hex === null ? null : 'sha256:' + hex.slice(0, 32)
}

/** The content hash of each watched file of each component, keyed as written in the file. */
export async function hashWatched(config: LoadedConfig): Promise<Record<string, Record<string, string | null>>> {
  const out: Record<string, Record<string, string | null>> = {}
  for (const [name, component] of Object.entries(config.spec.components ?? {})) {
    if (!component.watch) continue
    const files: Record<string, string | null> = {}
    for (const file of component.watch) files[file] = await hashWatchedFile(resolve(config.baseDir, file), `the watched file ${file} of component ${name}`)
    out[name] = files
  }
  return out
}

/** Refuses --target/--replace names that are neither in the file nor in the state. */
function checkNames(config: LoadedConfig, state: CompctlState | null, request: PlanOptions): void {
  const known = new Set([
    ...Object.keys(config.spec.components ?? {}),
    ...Object.keys(config.spec.changes ?? {}),
    ...Object.keys(state?.components ?? {}),
  ])
  for (const [flag, names] of [['--target', request.targets], ['--replace', request.replace]] as const) {
    for (const name of names)
      if (!known.has(name)) throw new UserError(`${flag} ${name}: no component or change is called that in ${config.file}`)
  }
  for (const name of request.replace) {
    if (!config.spec.components?.[name] && !config.spec.changes?.[name])
      throw new UserError(`--replace ${name}: it is not in ${config.file}, so there is nothing to restart`)
  }
}

/** Loads the file and the state, refreshes, and plans. */
export async function makePlan(request: PlanRequest): Promise<PlanResult> {
  const loaded = withInstance(await loadConfigOrThrow(request.file), request.instance)
  // One backend gives the secret key (when a sensitive value needs it) and the state.
  const backend = await openStateBackend(loaded)
  let config: ResolvedConfig
  let state: CompctlState | null
  try {
    config = await resolveInputs(loaded, request.inputs, {requireValues: true, key: () => backend.secretKey()})
    state = await backend.store.read()
  } finally {
    await backend.close()
  }
  return planFor(config, state, request)
}

/** Refreshes and plans a loaded file against a state already read. */
export async function planFor(config: ResolvedConfig, state: CompctlState | null, request: PlanOptions): Promise<PlanResult> {
  checkNames(config, state, request)
  if (!request.destroy) {
    const {conflicts} = resolveMoves(config.spec, state)
    if (conflicts.length > 0) throw new ProblemsError(await locateInFile(config, conflicts))
  }
  const plan = await planOf(config, state, {destroy: request.destroy, targets: request.targets, replace: request.replace, refresh: request.refresh})
  return {plan, config, state}
}

/**
 * The plan of a resolved file against a state: with refresh, the recorded processes are observed
 * first; the watched files are hashed, except for a destroy, which stops everything whatever its
 * files hold and so reads none of them (a shutdown must not depend on one).
 */
export async function planOf(config: ResolvedConfig, state: CompctlState | null, options: PlanOptions): Promise<CompctlPlan> {
  return buildPlan({
    source: {file: config.file, baseDir: config.baseDir, stateDir: config.stateDir},
    project: config.project,
    spec: config.spec,
    state,
    observed: options.refresh ? observeRecorded(state) : {},
    watched: options.destroy ? {} : await hashWatched(config),
    inputs: config.inputs,
    options,
  })
}
