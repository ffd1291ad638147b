import {randomUUID} from 'node:crypto'
import {access, copyFile, link, mkdir, open, readFile, rename, unlink} from 'node:fs/promises'
import {join} from 'node:path'
import validateState from '../model/generated/validate-state.js'
import type {CompctlState} from '../model/generated/state.js'
import {UserError} from '../errors.js'
import {secrets} from '../secrets/secrets.js'
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

export function newState(project: string): CompctlState {
  return {version: 1, lineage: randomUUID(), serial: 0, project, components: {}, changes: {}, appliedPlans: []}
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
      text = await readFile(this.location, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new UserError(`${this.location}: cannot read the state: ${(error as Error).message}`)
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw await this.corrupt(`not JSON (${(error as Error).message})`)
    }
    if (!validateState(data)) {
      const first = validateState.errors?.[0]
      throw await this.corrupt(`${first?.instancePath || '/'} ${first?.message ?? 'does not match schemas/state.schema.json'}`)
    }
    return data as CompctlState
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
    const text = JSON.stringify(withoutSecrets(next), null, 2) + '\n'
    await mkdir(this.stateDir, {recursive: true})
    if (!this.cleaned) await removeAbandonedTemporaries(this.location)
    this.cleaned = true
    const temporary = temporaryPath(this.location)
    const handle = await open(temporary, 'w')
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await this.keepBackup(temporaryPath(this.backup))
    await rename(temporary, this.location)
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
