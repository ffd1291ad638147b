import {hostname} from 'node:os'
import {asName, NAME} from '../util/names.js'
import type {LoadedConfig} from '../config/load.js'
import {UserError} from '../errors.js'
import type {CompctlState} from '../model/generated/state.js'
import {acquireStateLock, forceUnlock, readStateLock, stateLockPath, type AcquireOptions, type HeldStateLock, type StateLockInfo} from './lock.js'
import {fileSecretKey} from './secret-key.js'
import {FileStateStore, type StateStore} from './store.js'

/** One instance's state as the backend holds it, for `status --all`. */
export interface InstanceState {
  instance: string
  state: CompctlState | null
  lock: StateLockInfo | null
}

/**
 * Where the state and its lock live, opened once from the loaded config: no command or service
 * names a backend. `settings.state.backend` picks it (file by default).
 */
export interface StateBackend {
  readonly store: StateStore
  readonly location: string
  acquireLock(options: AcquireOptions): Promise<HeldStateLock>
  readLock(): Promise<StateLockInfo | null>
  forceUnlock(id: string): Promise<StateLockInfo>
  close(): Promise<void>
  /** This copy's name in the project: `--instance`, else `settings.instance`, else the host name. */
  readonly instance: string
  /** Where the state lock lives, for messages. */
  readonly lockLocation: string
  /** Every instance of the project in the backend (the file backend holds one). */
  listInstances(): Promise<InstanceState[]>
  /**
   * The instance's secret key (see ./secret-key.ts), made on first use: one key per state, even
   * when two processes make it at once.
   */
  secretKey(): Promise<Buffer>
}

/** The instance name: the flag, else the file's `settings.instance`, else the host name made a valid name. */
export function instanceName(config: LoadedConfig, flag?: string): string {
  if (flag !== undefined) {
    if (!NAME.test(flag))
      throw new UserError(`--instance ${flag}: not a valid instance name`, {hint: "Use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 128)."})
    return flag
  }
  return config.spec.settings?.instance ?? asName(hostname())
}

/**
 * The config with `--instance` written into its settings, so a plan made from it (and saved)
 * names the instance it was made against, and `apply PLANFILE` uses that one.
 */
export function withInstance<C extends LoadedConfig>(config: C, flag: string | undefined): C {
  if (flag === undefined) return config
  return {...config, spec: {...config.spec, settings: {...config.spec.settings, instance: instanceName(config, flag)}}}
}

export async function openStateBackend(config: LoadedConfig, options: {instance?: string} = {}): Promise<StateBackend> {
  const instance = instanceName(config, options.instance)
  if (config.spec.settings?.state?.backend === 'etcd') {
    const {openEtcdStateBackend} = await import('./etcd-backend.js')
    return openEtcdStateBackend(config, instance)
  }
  return fileStateBackend(config.stateDir, instance)
}

function fileStateBackend(stateDir: string, instance: string): StateBackend {
  const store = new FileStateStore(stateDir)
  const backend: StateBackend = {
    store,
    location: store.location,
    instance,
    lockLocation: stateLockPath(stateDir),
    acquireLock: (options) => acquireStateLock(stateDir, options),
    readLock: () => readStateLock(stateDir),
    forceUnlock: (id) => forceUnlock(stateDir, id),
    listInstances: async () => [{instance, state: await store.read(), lock: await readStateLock(stateDir)}],
    secretKey: () => fileSecretKey(stateDir),
    close: async () => {},
  }
  return backend
}

/**
 * The state's secret key as `loadResolved` asks for it (only when a sensitive value or an env file
 * needs it): read, or made, through the config's backend for this instance, opened for it alone.
 */
export function secretKeyOf(options: {instance?: string | undefined}): (config: LoadedConfig) => Promise<Buffer> {
  return async (config) => {
    const backend = await openStateBackend(config, options.instance === undefined ? {} : {instance: options.instance})
    try {
      return await backend.secretKey()
    } finally {
      await backend.close()
    }
  }
}

/** Opens the backend, reads the state (and, when asked, who holds its lock), and closes it again. */
export async function readState(
  config: LoadedConfig,
  options: {instance?: string} = {},
  what: {lock?: boolean} = {},
): Promise<{state: CompctlState | null; lock: StateLockInfo | null; location: string}> {
  const backend = await openStateBackend(config, options)
  try {
    const state = await backend.store.read()
    const lock = what.lock ? await backend.readLock() : null
    return {state, lock, location: backend.location}
  } finally {
    await backend.close()
  }
}

/** Opens the state backend and takes its lock for `operation` (apply, destroy, supervise): at once, or waiting up to `timeoutMs`. */
export async function openLockedState(
  config: LoadedConfig,
  options: {operation: string; timeoutMs: number; instance?: string | undefined; onNote?: ((message: string) => void) | undefined},
): Promise<{backend: StateBackend; release(): Promise<void>}> {
  const backend = await openStateBackend(config, options.instance === undefined ? {} : {instance: options.instance})
  try {
    const lock = await backend.acquireLock({operation: options.operation, timeoutMs: options.timeoutMs, ...(options.onNote ? {onNote: options.onNote} : {})})
    return {
      backend,
      release: async () => {
        try {
          await lock.release()
        } finally {
          await backend.close()
        }
      },
    }
  } catch (error) {
    await backend.close()
    throw error
  }
}
