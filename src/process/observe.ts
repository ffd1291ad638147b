import {readdirSync, readFileSync} from 'node:fs'

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
  /** User plus system CPU time so far, in clock ticks (USER_HZ a second). */
  cpuTicks: number
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
  // Field numbers of proc(5), less 3: state 3, pgrp 5, utime 14, stime 15, starttime 22.
  return {pid, zombie: fields[0] === 'Z' || fields[0] === 'X', pgid: Number(fields[2]), startTime, cpuTicks: Number(fields[11]) + Number(fields[12])}
}

/** Every process's /proc/PID/stat (zombies included), by process group: one read per process of the host. */
export function readProcessGroups(): Map<number, ProcStat[]> {
  const groups = new Map<number, ProcStat[]>()
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    const stat = readProcStat(Number(entry))
    if (stat === null) continue
    const members = groups.get(stat.pgid)
    if (members) members.push(stat)
    else groups.set(stat.pgid, [stat])
  }
  return groups
}

/** The real uid of a process (/proc/PID/status), or null when there is no such process. */
export function readRealUid(pid: number): number | null {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const uid = /^Uid:\s+(\d+)/m.exec(status)
  return uid ? Number(uid[1]) : null
}

/** compctl's own user: only processes of this real uid are ever signalled, stopped or adopted. */
export function ownUid(): number {
  return process.getuid?.() ?? -1
}

/** Whether the process runs as compctl's own user. */
export function isOwnUser(pid: number): boolean {
  return readRealUid(pid) === ownUid()
}

let ownGroup: number | undefined

/**
 * Why compctl refuses to signal `pid` as a component (its process and its group), or null. pid 0
 * and -1 address whole sets of processes in kill(2), pid 1 is init, and compctl's own process and
 * group are never a component's: a state naming any of them is corrupt or forged.
 */
export function refusedPid(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 1) return `pid ${pid} is never a component's (compctl signals no pid or process group below 2)`
  if (pid === process.pid) return `pid ${pid} is compctl's own process`
  ownGroup ??= readProcStat(process.pid)?.pgid
  if (pid === ownGroup) return `pid ${pid} is compctl's own process group`
  return null
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

/**
 * What is at a recorded identity now. A process of another user, or one compctl may never signal
 * (refusedPid), is never the recorded one, whatever its start time.
 */
export function observe(identity: ProcessIdentity): Observation {
  const startTime = readStartTime(identity.pid)
  if (startTime === null) return {alive: false, sameProcess: false}
  return {alive: true, sameProcess: startTime === identity.startTime && refusedPid(identity.pid) === null && isOwnUser(identity.pid)}
}

/** A process's argv as /proc/PID/cmdline holds it; null when it cannot be read (gone, a kernel thread, no /proc). */
export function readCommandLine(pid: number): string[] | null {
  let raw: string
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return null
  }
  if (raw === '') return null
  return (raw.endsWith('\0') ? raw.slice(0, -1) : raw).split('\0')
}

/** A process `compctl import` may adopt, as found: who it is and what it runs. */
export interface Adoptable {
  identity: ProcessIdentity
  command: string[]
}

/**
 * Whether `pid` may be adopted: a live process (not a zombie) other than pid 0 and 1, other than
 * compctl itself and the leader of its process group, running as compctl's own real uid. Returns it, or why not.
 */
export function checkAdoptable(pid: number): Adoptable | string {
  if (!Number.isSafeInteger(pid) || pid <= 1) return `pid ${pid} is not a process compctl may adopt (pid 0 and 1 never are)`
  if (pid === process.pid) return `pid ${pid} is this compctl itself`
  const stat = readProcStat(pid)
  if (stat === null || stat.zombie) return `there is no running process with pid ${pid}`
  // Stopping a component signals the group it leads: never the group compctl runs in.
  if (pid === readProcStat(process.pid)?.pgid) return `pid ${pid} leads compctl's own process group (the shell or script running compctl)`
  const owner = readRealUid(pid)
  if (owner !== ownUid()) return `pid ${pid} runs as uid ${owner ?? 'unknown'}, not as compctl's own uid ${ownUid()}: compctl adopts only its own user's processes`
  const command = readCommandLine(pid)
  if (command === null) return `pid ${pid} has no command line to compare (a kernel thread?)`
  return {identity: {pid, startTime: stat.startTime}, command}
}

/** Clock ticks per second of /proc/PID/stat's times (start, utime, stime): USER_HZ, 100 on every Linux architecture in use. */
export const USER_HZ = 100

/** When a process started, as an ISO 8601 time (boot time from /proc/stat plus its start time); null without /proc. */
export function processStartedAt(startTime: number): string | null {
  let stat: string
  try {
    stat = readFileSync('/proc/stat', 'utf8')
  } catch {
    return null
  }
  const boot = /^btime (\d+)$/m.exec(stat)?.[1]
  return boot === undefined ? null : new Date(Number(boot) * 1000 + (startTime * 1000) / USER_HZ).toISOString()
}
