import type {LoadedConfig} from '../config/load.js'
import {UserError} from '../errors.js'
import type {CompctlState, ComponentState} from '../model/generated/state.js'
import {commandArgv, sameArgv} from '../planner/plan.js'
import {checkAdoptable, observe, processStartedAt} from '../process/observe.js'
import {openLockedState, type StateBackend} from '../state/open.js'
import {newState, parseState} from '../state/store.js'
import {recordTypeOf, renameLogs, renameRecord, type RecordType} from '../state/rename.js'
import {specHash} from '../util/canonical.js'
import {NAME} from '../util/names.js'
import {readInputFile} from '../util/read-input.js'
import {hashWatched} from './plan-service.js'

/** State files pushed are refused past this size: a state of 50,000 components is about 30 MB. */
const MAX_PUSH_BYTES = 64 * 1024 * 1024

export interface LockRequest {
  /** How long to wait for the state lock; 0 fails at once naming the holder. */
  timeoutMs: number
  onNote?: (message: string) => void
  /** Which instance's state (default: settings.instance, else the host name). */
  instance?: string
}

/** One line of `state list`. */
export interface RecordSummary {
  name: string
  type: RecordType
  status: string
  pid: number | null
}

/** Every record, components then changes, each sorted by name. */
export function listRecords(state: CompctlState | null): RecordSummary[] {
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const components = Object.keys(state?.components ?? {})
    .sort(byName)
    .map((name) => ({name, type: 'component' as const, status: state!.components[name]!.status, pid: state!.components[name]!.pid ?? null}))
  const changes = Object.keys(state?.changes ?? {})
    .sort(byName)
    .map((name) => ({name, type: 'change' as const, status: state!.changes[name]!.status, pid: null}))
  return [...components, ...changes]
}

/** One record and what it is, or a UserError naming the state. */
export function findRecord(state: CompctlState | null, name: string, location: string): {type: RecordType; record: unknown} {
  const type = state ? recordTypeOf(state, name) : null
  if (type === null) throw new UserError(`${location}: ${name} is not recorded${state ? '' : ' (there is no state yet)'}; \`compctl state list\` shows what is`)
  return {type, record: type === 'component' ? state!.components[name] : state!.changes[name]}
}

/** Runs `change` on the state under the state lock and writes what it returns (atomically, keeping the backup). */
async function underLock<T>(
  config: LoadedConfig,
  operation: string,
  lock: LockRequest,
  change: (state: CompctlState | null, backend: StateBackend) => Promise<{state: CompctlState; result: T}>,
): Promise<T> {
  const locked = await openLockedState(config, {operation, ...lock})
  try {
    const {state, result} = await change(await locked.backend.store.read(), locked.backend)
    await locked.backend.store.write(state)
    return result
  } finally {
    await locked.release()
  }
}

/** `state mv OLD NEW`: renames a record; the process, if any, is not touched and keeps its pid. */
export async function moveState(config: LoadedConfig, from: string, to: string, lock: LockRequest): Promise<{type: RecordType; pid: number | null}> {
  if (!NAME.test(to)) throw new UserError(`${to}: not a valid name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128)`)
  return underLock(config, 'state mv', lock, async (state, backend) => {
    const {type, record} = findRecord(state, from, backend.location)
    const refused = renameRecord(state!, from, to)
    if (refused !== null) throw new UserError(`${backend.location}: cannot move ${from} to ${to}: ${refused}; forget it first (compctl state rm ${to}) or choose another name`)
    // The log follows the record; the process keeps writing to the same open file.
    await renameLogs(config.stateDir, type, from, to)
    return {state: state!, result: {type, pid: type === 'component' ? ((record as ComponentState).pid ?? null) : null}}
  })
}

/** What `state rm` forgot: for a component, the pid left running unmanaged (null when none runs). */
export interface Forgotten {
  name: string
  type: RecordType
  pidLeftRunning: number | null
}

/** `state rm NAME...`: forgets records (all or none); their processes keep running. */
export async function forgetState(config: LoadedConfig, names: string[], lock: LockRequest): Promise<Forgotten[]> {
  return underLock(config, 'state rm', lock, async (state, backend) => {
    const forgotten: Forgotten[] = []
    for (const name of new Set(names)) {
      const {type} = findRecord(state, name, backend.location)
      let pidLeftRunning: number | null = null
      if (type === 'component') {
        const record = state!.components[name]!
        if (typeof record.pid === 'number' && typeof record.startTime === 'number') {
          const seen = observe({pid: record.pid, startTime: record.startTime})
          if (seen.alive && seen.sameProcess) pidLeftRunning = record.pid
        }
        delete state!.components[name]
      } else delete state!.changes[name]
      forgotten.push({name, type, pidLeftRunning})
    }
    return {state: state!, result: forgotten}
  })
}

/** `state push FILE`: replaces the state with FILE's, refusing another lineage or a serial not newer, unless `force`. */
export async function pushState(config: LoadedConfig, file: string, force: boolean, lock: LockRequest): Promise<{serial: number; replaced: boolean}> {
  const pushed = await readStateFile(file)
  return underLock(config, 'state push', lock, async (current, backend) => {
    if (current && !force) {
      if (current.lineage !== pushed.lineage)
        throw new UserError(
          `${file}: its lineage ${pushed.lineage} is not the lineage of ${backend.location} (${current.lineage}); nothing was replaced (--force replaces it anyway)`,
        )
      if (pushed.serial <= current.serial)
        throw new UserError(
          `${file}: its serial ${pushed.serial} is not newer than the serial of ${backend.location} (${current.serial}); nothing was replaced (pull it again, or --force replaces it anyway)`,
        )
    }
    // Serials only grow: a forced older state is written past the one it replaces.
    const serial = Math.max(pushed.serial, current?.serial ?? 0)
    return {state: {...pushed, serial}, result: {serial: serial + 1, replaced: current !== null}}
  })
}

/** A state file to push: a regular file holding a state every store would accept (see parseState). */
async function readStateFile(file: string): Promise<CompctlState> {
  const text = (await readInputFile(file, 'the state to push', MAX_PUSH_BYTES)).toString('utf8')
  const state = parseState(text)
  if (typeof state === 'string') throw new UserError(`${file}: not a state: ${state}`)
  return state
}

/** What `compctl import` adopted. */
export interface Imported {
  name: string
  pid: number
  /** The process runs the desired command: the next plan has nothing to do for it. */
  matches: boolean
  command: string[]
  desired: string[]
}

/**
 * `compctl import NAME PID`: records a running process of compctl's own user as component NAME,
 * declared in the file and not yet recorded, as running with the desired spec. The next plan
 * restarts it when its command line is not the desired command.
 */
export async function importProcess(config: LoadedConfig, name: string, pid: number, lock: LockRequest): Promise<Imported> {
  const desired = config.spec.components?.[name]
  if (!desired) {
    const isChange = config.spec.changes?.[name] !== undefined
    const why = isChange ? `${name} is a change; only a component runs a process to adopt` : `no component is called ${name}: declare it with the command it runs, then import it`
    throw new UserError(`${config.file}: ${why}`)
  }
  const watched = (await hashWatched({...config, spec: {...config.spec, components: {[name]: desired}}}))[name]
  return underLock(config, 'import', lock, async (current, backend) => {
    const state = current ?? newState(config.project)
    if (recordTypeOf(state, name) !== null)
      throw new UserError(`${backend.location}: ${name} is recorded already; nothing was imported (to adopt another process as ${name}, first: compctl state rm ${name})`)
    // Checked under the lock, right before recording: the process must still be there and still ours.
    const found = checkAdoptable(pid)
    if (typeof found === 'string') throw new UserError(`compctl import ${name} ${pid}: ${found}; nothing was imported`)
    for (const [other, record] of Object.entries(state.components))
      if (record.pid === found.identity.pid && record.startTime === found.identity.startTime)
        throw new UserError(`compctl import ${name} ${pid}: pid ${pid} is recorded already as ${other}; nothing was imported (rename it instead: compctl state mv ${other} ${name})`)
    const at = new Date().toISOString()
    state.components[name] = {
      spec: desired as unknown as Record<string, unknown>,
      specHash: specHash(desired),
      ...(watched ? {watched} : {}),
      status: 'running',
      pid: found.identity.pid,
      startTime: found.identity.startTime,
      startedAt: processStartedAt(found.identity.startTime),
      restarts: 0,
      lastError: null,
      adopted: {at, command: found.command},
    }
    const wanted = commandArgv(desired.command)
    const matches = sameArgv(wanted, found.command)
    return {state, result: {name, pid, matches, command: found.command, desired: wanted}}
  })
}
