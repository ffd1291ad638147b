import type {LoadedConfig} from '../config/load.js'
import type {CompctlState} from '../model/generated/state.js'
import {acquireStateLock, forceUnlock, readStateLock, type AcquireOptions, type HeldStateLock, type StateLockInfo} from './lock.js'
import {FileStateStore, type StateStore} from './store.js'

/** Where one state lives and how its lock is taken: every command reaches the state through this. */
export interface StateBackend {
  readonly store: StateStore
  /** For messages: the state file (or its key). */
  readonly location: string
  acquireLock(options: AcquireOptions): Promise<HeldStateLock>
  readLock(): Promise<StateLockInfo | null>
  forceUnlock(id: string): Promise<StateLockInfo>
  close(): Promise<void>
}

/** The state backend `config` names. Only the file backend (`<stateDir>/compctl.state.json`) exists so far; `instance` names an etcd state. */
export async function openStateBackend(config: LoadedConfig, _options?: {instance?: string}): Promise<StateBackend> {
  return fileStateBackend(config.stateDir)
}

function fileStateBackend(stateDir: string): StateBackend {
  const store = new FileStateStore(stateDir)
  return {
    store,
    location: store.location,
    acquireLock: (options) => acquireStateLock(stateDir, options),
    readLock: () => readStateLock(stateDir),
    forceUnlock: (id) => forceUnlock(stateDir, id),
    close: async () => undefined,
  }
}

/** Opens the state backend, reads the state (null: none yet) and closes it again: for commands that only look. */
export async function readStateOnce(config: LoadedConfig): Promise<{state: CompctlState | null; location: string}> {
  const backend = await openStateBackend(config)
  try {
    return {state: await backend.store.read(), location: backend.location}
  } finally {
    await backend.close()
  }
}
