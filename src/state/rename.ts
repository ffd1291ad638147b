import {access, mkdir, rename} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {CompctlState} from '../model/generated/state.js'

export type RecordType = 'component' | 'change'

/** Whether `name` is recorded, and as what. */
export function recordTypeOf(state: CompctlState, name: string): RecordType | null {
  if (Object.hasOwn(state.components, name)) return 'component'
  if (Object.hasOwn(state.changes, name)) return 'change'
  return null
}

/**
 * Renames the record `from` to `to` in `state`, keeping everything it holds (pid, start time,
 * spec, outcomes). Returns null when done, else why not, with `state` untouched.
 */
export function renameRecord(state: CompctlState, from: string, to: string): string | null {
  const type = recordTypeOf(state, from)
  if (type === null) return `${from} is not recorded`
  if (recordTypeOf(state, to) !== null) return `${to} is recorded already`
  const records: Record<string, unknown> = type === 'component' ? state.components : state.changes
  records[to] = records[from]
  delete records[from]
  return null
}

/**
 * Moves the logs of a renamed record so `compctl logs NEW` finds them: a running process keeps
 * writing to its open file, which is now under the new name. A log already under the new name is
 * left alone (nothing is overwritten); a missing one is nothing to move.
 */
export async function renameLogs(stateDir: string, type: RecordType, from: string, to: string): Promise<void> {
  const [source, target] =
    type === 'component'
      ? [join(stateDir, 'logs', `${from}.log`), join(stateDir, 'logs', `${to}.log`)]
      : [join(stateDir, 'logs', 'changes', from), join(stateDir, 'logs', 'changes', to)]
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    )
  if (!(await exists(source)) || (await exists(target))) return
  await mkdir(dirname(target), {recursive: true})
  await rename(source, target)
}
