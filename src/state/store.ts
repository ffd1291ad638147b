import {randomUUID} from 'node:crypto'
import {mkdir, open, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import validateState from '../model/generated/validate-state.js'
import type {CompctlState} from '../model/generated/state.js'
import {UserError} from '../errors.js'

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
  private readonly backup: string
  private lastText: string | null = null

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
      throw this.corrupt(`not JSON (${(error as Error).message})`)
    }
    if (!validateState(data)) {
      const first = validateState.errors?.[0]
      throw this.corrupt(`${first?.instancePath || '/'} ${first?.message ?? 'does not match schemas/state.schema.json'}`)
    }
    this.lastText = text
    return data as CompctlState
  }

  private corrupt(why: string): UserError {
    return new UserError(`${this.location}: the state file is corrupt: ${why}`, {
      hint: `The previous version is kept at ${this.backup}; check it, then copy it over ${this.location} to recover.`,
    })
  }

  async write(state: CompctlState): Promise<CompctlState> {
    const next: CompctlState = {...state, serial: state.serial + 1}
    const text = JSON.stringify(next, null, 2) + '\n'
    await mkdir(this.stateDir, {recursive: true})
    if (this.lastText === null) {
      try {
        this.lastText = await readFile(this.location, 'utf8')
      } catch {}
    }
    const temporary = `${this.location}.tmp-${process.pid}`
    const handle = await open(temporary, 'w')
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (this.lastText !== null) {
      await writeFile(`${this.backup}.tmp-${process.pid}`, this.lastText)
      await rename(`${this.backup}.tmp-${process.pid}`, this.backup)
    }
    await rename(temporary, this.location)
    this.lastText = text
    return next
  }
}
