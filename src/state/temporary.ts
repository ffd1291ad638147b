import {randomBytes} from 'node:crypto'
import {readdirSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {processExists} from '../process/observe.js'
import {unlinkIfPossible} from '../util/private-files.js'

const TEMPORARY_MARK = '.tmp-'

/**
 * A fresh name beside `path` for a file on its way in or out. It names the process, so a later run
 * can tell one abandoned by a killed process (see removeAbandonedTemporaries).
 */
export function temporaryPath(path: string): string {
  return `${path}${TEMPORARY_MARK}${process.pid}-${randomBytes(4).toString('hex')}`
}

/** Removes the temporaries beside `path` (and beside names that extend it) whose process is gone. */
export function removeAbandonedTemporaries(path: string): void {
  const folder = dirname(path)
  const prefix = basename(path)
  let entries: string[]
  try {
    entries = readdirSync(folder)
  } catch {
    return
  }
  for (const entry of entries) {
    const mark = entry.lastIndexOf(TEMPORARY_MARK)
    if (!entry.startsWith(prefix) || mark === -1) continue
    const pid = Number(entry.slice(mark + TEMPORARY_MARK.length).split('-')[0])
    if (!Number.isInteger(pid) || pid === process.pid || processExists(pid)) continue
    unlinkIfPossible(join(folder, entry))
  }
}
