import {randomUUID} from 'node:crypto'
import {access, chmod, copyFile, link, open, rename, unlink} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import validateFile from '../model/generated/validate-compctl.js'
import validateState from '../model/generated/validate-state.js'
import type {CompctlState} from '../model/generated/state.js'
import {UserError} from '../errors.js'
import {secrets} from '../secrets/secrets.js'
import {describeFsFault} from '../util/fs-fault.js'
import {makePrivateDir, openPrivate, PRIVATE_FILE_MODE} from '../util/private-files.js'
import {InputFileError, readInputFile} from '../util/read-input.js'
import {removeAbandonedTemporaries, temporaryPath} from './temporary.js'

export const STATE_FILE = 'compctl.state.json'

/** Reads and writes one state. Every implementation passes test/state/store.conformance.ts. */
export interface StateStore {
  /** Where the state lives, for messages. */
  readonly location: string
  /** The state, or null when there is none yet. A corrupt state throws a UserError naming the backup. */
  read(): Promise<CompctlState | null>
  /** Writes `state` with its serial incremented, atomically; returns what was written. */
  write(state: CompctlState): Promise<CompctlState>
}

/** Far above any real state; the bound only keeps a damaged or forged file from exhausting memory. */
const MAX_STATE_BYTES = 256 * 1024 * 1024
/** A real state nests a dozen levels; a forged one could nest deep enough to overflow the stack of whatever walks it. */
const MAX_STATE_DEPTH = 64

/** The state could not be written (a full disk, a read-only or unwritable folder): one line naming the file and the cause. */
export class StateWriteError extends UserError {
  constructor(path: string, cause: unknown) {
    super(`${path}: cannot write the state: ${describeFsFault(cause) ?? (cause as Error).message}`, {
      hint: `Free space in, or make writable, the state folder ${dirname(path)}, then run compctl again.`,
    })
  }
}

/** Whether `value` nests deeper than `limit` arrays or objects; iterative, so any depth is safe to check. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!
    if (item === null || typeof item !== 'object') continue
    if (depth >= limit) return true
    for (const child of Object.values(item)) stack.push([child, depth + 1])
  }
  return false
}

/**
 * The recorded specs are run again (stop settings, hooks, log names): each must be what the
 * desired-state file's schema allows, or the state is corrupt.
 */
function recordedSpecProblem(state: CompctlState): string | null {
  const specs = (kind: 'components' | 'changes') => Object.fromEntries(Object.entries(state[kind]).map(([name, recorded]) => [name, recorded.spec]))
  // One file of every recorded spec: the schema checks each on its own, so this is each checked in turn.
  if (validateFile({version: 1, components: specs('components'), changes: specs('changes')})) return null
  const first = validateFile.errors?.[0]
  const path = first?.instancePath ?? ''
  const recorded = /^\/(components|changes)\/[^/]+/.exec(path)?.[0] ?? path
  return `${recorded}/spec${path.slice(recorded.length)} ${first?.message ?? 'is not a valid spec'}`
}

export function newState(project: string): CompctlState {
  return {version: 1, lineage: randomUUID(), serial: 0, project, components: {}, changes: {}, appliedPlans: []}
}

/**
 * A state as written by any store, or why it is not one: JSON, bounded depth, the state schema
 * (pids >= 2, names as in the file), and every recorded spec valid for the file's schema.
 */
export function parseState(text: string): CompctlState | string {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    return `not JSON (${(error as Error).message})`
  }
  // Validation and everything after it recurse through the values: bound them first.
  if (deeperThan(data, MAX_STATE_DEPTH)) return `nested deeper than ${MAX_STATE_DEPTH} levels`
  if (!validateState(data)) {
    const first = validateState.errors?.[0]
    const name = first?.propertyName === undefined ? '' : ` name ${JSON.stringify(first.propertyName)}`
    return `${first?.instancePath || '/'}${name} ${first?.message ?? 'does not match schemas/state.schema.json'}`
  }
  const state = data as CompctlState
  return recordedSpecProblem(state) ?? state
}

/** The text every store writes for `state`: a sensitive value an error message quoted is hidden first. */
export function stateText(state: CompctlState): string {
  return JSON.stringify(withoutSecrets(state), null, 2) + '\n'
}

/**
 * `<stateDir>/compctl.state.json`, written as: temporary file, fsync, rename; the version it
 * replaces is kept as `compctl.state.json.backup`. A crash at any moment leaves a whole file.
 */
export class FileStateStore implements StateStore {
  readonly location: string
  readonly backup: string
  /** Writes of this store run one after another: steps that end together must not interleave. */
  private queue: Promise<unknown> = Promise.resolve()
  private cleaned = false

  constructor(readonly stateDir: string) {
    this.location = join(stateDir, STATE_FILE)
    this.backup = `${this.location}.backup`
  }

  async read(): Promise<CompctlState | null> {
    let text: string
    try {
      text = (await readInputFile(this.location, 'the state', MAX_STATE_BYTES)).toString('utf8')
    } catch (error) {
      if (error instanceof InputFileError && error.code === 'ENOENT') return null
      throw error
    }
    const parsed = parseState(text)
    if (typeof parsed === 'string') throw await this.corrupt(parsed)
    return parsed
  }

  private async corrupt(why: string): Promise<UserError> {
    const backupExists = await access(this.backup).then(
      () => true,
      () => false,
    )
    const hint = backupExists
      ? `The previous version is kept at ${this.backup}: check it, then copy it over ${this.location} to recover.`
      : `There is no backup (${this.backup} does not exist): repair ${this.location} by hand, or move it away to start afresh (compctl then forgets what it runs).`
    return new UserError(`${this.location}: the state file is corrupt: ${why}`, {hint})
  }

  write(state: CompctlState): Promise<CompctlState> {
    const written = this.queue.then(() => this.writeNow(state))
    this.queue = written.catch(() => undefined)
    return written
  }

  private async writeNow(state: CompctlState): Promise<CompctlState> {
    const next: CompctlState = {...state, serial: state.serial + 1}
    const text = stateText(next)
    const temporary = temporaryPath(this.location)
    const backupTemporary = temporaryPath(this.backup)
    try {
      await makePrivateDir(this.stateDir)
      if (!this.cleaned) removeAbandonedTemporaries(this.location)
      this.cleaned = true
      const handle = await openPrivate(temporary, 'w')
      try {
        await handle.writeFile(text)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await this.keepBackup(backupTemporary)
      await rename(temporary, this.location)
    } catch (error) {
      await Promise.all([temporary, backupTemporary].map((path) => unlink(path).catch(() => undefined)))
      throw new StateWriteError(this.location, error)
    }
    await this.syncFolder()
    return next
  }

  /** The file about to be replaced becomes the backup: a second name for it, so no copy can tear. */
  private async keepBackup(temporary: string): Promise<void> {
    try {
      await link(this.location, temporary)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return
      // A file system without hard links: copy instead (the rename below is still atomic).
      await copyFile(this.location, temporary)
    }
    // A second name shares the state's mode; a copy, or a state left by an older compctl, may be wider.
    await chmod(temporary, PRIVATE_FILE_MODE)
    await rename(temporary, this.backup)
    // A writer killed between its two renames leaves the backup and the state as one file; rename
    // between two names of one file does nothing (POSIX), so the temporary name would stay.
    await unlink(temporary).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
  }

  /** The renames are durable only once the folder itself is on disk. */
  private async syncFolder(): Promise<void> {
    let folder
    try {
      folder = await open(this.stateDir, 'r')
      await folder.sync()
    } catch {
      // Some file systems cannot fsync a folder; the rename is still atomic there.
    } finally {
      await folder?.close()
    }
  }
}


/**
 * The state as written: specs hold sensitive values only as markers already, but an error
 * message (a command's own words) may quote one.
 */
function withoutSecrets(state: CompctlState): CompctlState {
  const components = Object.fromEntries(
    Object.entries(state.components).map(([name, c]) => [name, typeof c.lastError === 'string' ? {...c, lastError: secrets.hide(c.lastError)} : c]),
  )
  const changes = Object.fromEntries(
    Object.entries(state.changes).map(([name, change]) => [
      name,
      {...change, targets: Object.fromEntries(Object.entries(change.targets).map(([t, r]) => [t, typeof r.error === 'string' ? {...r, error: secrets.hide(r.error)} : r]))},
    ]),
  )
  return {...state, components, changes}
}
