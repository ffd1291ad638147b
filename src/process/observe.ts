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

/** The start time of a live process, or null when there is none (gone or a zombie). */
export function readStartTime(pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z' || fields[0] === 'X') return null
  const startTime = Number(fields[19])
  return Number.isFinite(startTime) ? startTime : null
}

export function observe(identity: ProcessIdentity): Observation {
  const startTime = readStartTime(identity.pid)
  if (startTime === null) return {alive: false, sameProcess: false}
  return {alive: true, sameProcess: startTime === identity.startTime}
}
