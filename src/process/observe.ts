import {readFileSync} from 'node:fs'

/** What identifies one process across pid reuse: its pid and its start time. */
export interface ProcessIdentity {
  pid: number
  /** Clock ticks since boot when the process started (/proc/PID/stat field 22). */
  startTime: number
}

/** What refresh found of a recorded process. */
export interface Observation {
  /** A process with the recorded pid exists (and is not a zombie). */
  alive: boolean
  /** It is the recorded process: its start time matches. */
  sameProcess: boolean
}

/** The fields of /proc/PID/stat compctl reads. */
export interface ProcStat {
  pid: number
  /** Exited, waiting to be reaped (where pid 1 does not reap, forever). */
  zombie: boolean
  /** Process group id. */
  pgid: number
  startTime: number
}

/** A process's /proc/PID/stat, zombies included; null when there is no such process. */
export function readProcStat(pid: number): ProcStat | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const startTime = Number(fields[19])
  if (!Number.isFinite(startTime)) return null
  return {pid, zombie: fields[0] === 'Z' || fields[0] === 'X', pgid: Number(fields[2]), startTime}
}

/** The start time of a live process, or null when there is none (gone or a zombie). */
export function readStartTime(pid: number): number | null {
  const stat = readProcStat(pid)
  return stat === null || stat.zombie ? null : stat.startTime
}

/** Whether a pid exists at all (any state, ours to signal or not); for where start times cannot be compared. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function observe(identity: ProcessIdentity): Observation {
  const startTime = readStartTime(identity.pid)
  if (startTime === null) return {alive: false, sameProcess: false}
  return {alive: true, sameProcess: startTime === identity.startTime}
}
