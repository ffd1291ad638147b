import {join} from 'node:path'

/** Where every log lives: `<stateDir>/logs`. */
export function logsDir(stateDir: string): string {
  return join(stateDir, 'logs')
}

/** A component's log: `<stateDir>/logs/NAME.log`. */
export function componentLogFile(stateDir: string, name: string): string {
  return join(logsDir(stateDir), `${name}.log`)
}

/** The folder of a change's logs, one file per target: `<stateDir>/logs/changes/NAME/`. */
export function changeLogDir(stateDir: string, name: string): string {
  return join(logsDir(stateDir), 'changes', name)
}

export function changeTargetLogFile(stateDir: string, change: string, target: string): string {
  return join(changeLogDir(stateDir, change), `${target}.log`)
}

/** The component a file of the logs folder belongs to (`NAME.log`), or null for anything else. */
export function componentOfLogFile(file: string): string | null {
  return file.endsWith('.log') && file.length > 4 ? file.slice(0, -4) : null
}

/** The Nth rotated copy of a log: `NAME.log.N`, or `NAME.log.N.gz` compressed. */
export function rotatedCopy(log: string, index: number, compressed: boolean): string {
  return `${log}.${index}${compressed ? '.gz' : ''}`
}

/** The copy a rotation is writing: renamed to NAME.log.1[.gz] once complete, so a copy is never seen half-written. */
export function inProgressCopy(log: string): string {
  return `${log}.rotating`
}

/** A half-written copy older than this was left by a rotation that died; a younger one belongs to a rotation under way. */
const STALE_ROTATION_MS = 60_000

/** Whether an in-progress copy (as stat saw it) belongs to a rotation under way, not to one that died leaving it. */
export function isRotationUnderWay(partial: {mtimeMs: number}): boolean {
  return Date.now() - partial.mtimeMs < STALE_ROTATION_MS
}
