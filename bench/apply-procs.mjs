// /proc helpers for bench/apply.mjs: every process the bench has a tool start carries the
// environment variable MARKER=<bench pid>:<tool>, so the bench finds exactly its own sleeps (and
// nobody else's) whichever tool started them, and can kill them by process group when done.
import {readdirSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

export const MARKER = 'COMPCTL_APPLY_BENCH'

/** State letter, process group and start time of a pid from /proc/PID/stat; null when gone. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], pgid: Number(fields[2]), startTime: fields[19]}
  } catch {
    return null
  }
}

const live = (info) => info !== null && info.state !== 'Z' && info.state !== 'X'

/** Value of MARKER in a process's environment, or undefined (also for a process that is gone). */
function markerOf(pid) {
  let environ
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1')
  } catch {
    return undefined
  }
  const at = environ.indexOf(`${MARKER}=`)
  if (at !== 0 && (at < 0 || environ[at - 1] !== '\0')) return undefined
  const end = environ.indexOf('\0', at)
  return environ.slice(at + MARKER.length + 1, end < 0 ? undefined : end)
}

/**
 * Live (not zombie) processes whose marker satisfies `accept(marker)`, each {pid, pgid, startTime,
 * marker}. One pass over /proc: a few milliseconds for a few hundred processes.
 */
export function markedProcesses(accept) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const pid = Number(entry)
    if (pid === process.pid) continue
    const marker = markerOf(pid)
    if (marker === undefined || !accept(marker)) continue
    const info = stat(pid)
    if (live(info)) found.push({pid, pgid: info.pgid, startTime: info.startTime, marker})
  }
  return found
}

/** Whether the very process (same pid and start time) is still alive (a zombie counts as gone). */
export function stillRunning({pid, startTime}) {
  const info = stat(pid)
  return live(info) && info.startTime === startTime
}

/** Polls every `intervalMs` until none of `processes` is alive; false after `timeoutMs`. */
export async function waitUntilAllGone(processes, {intervalMs = 5, timeoutMs = 60_000} = {}) {
  const deadline = performance.now() + timeoutMs
  let left = processes
  for (;;) {
    left = left.filter(stillRunning)
    if (left.length === 0) return true
    if (performance.now() >= deadline) return false
    await sleep(intervalMs)
  }
}

/**
 * SIGKILLs each process: its whole group when it leads one (how all three tools start them), else
 * the pid alone. Returns how many were signalled.
 */
export function killProcesses(processes) {
  let signalled = 0
  for (const proc of processes) {
    if (!stillRunning(proc)) continue
    try {
      process.kill(proc.pgid === proc.pid ? -proc.pid : proc.pid, 'SIGKILL')
      signalled++
    } catch (error) {
      if (error.code !== 'ESRCH') throw error
    }
  }
  return signalled
}

/** Whether a pid is alive (not a zombie). */
export function pidAlive(pid) {
  return live(stat(pid))
}
