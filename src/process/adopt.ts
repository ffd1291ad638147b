import {readdirSync, readFileSync} from 'node:fs'
import type {CompctlState} from '../model/generated/state.js'
import {isOwnUser, readStartTime, refusedPid, type ProcessIdentity} from './observe.js'

const LAUNCH_ENV = 'COMPCTL_LAUNCH_ID='

/**
 * Finds live processes by the launch id compctl put in their environment. Reads every
 * /proc/PID/environ it may, so it is only called when the state holds a launch that was
 * journaled but never recorded (a crash between launching and recording).
 */
export function findLaunched(launchIds: ReadonlySet<string>): Map<string, ProcessIdentity> {
  const found = new Map<string, ProcessIdentity>()
  if (launchIds.size === 0) return found
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    let environ: string
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1')
    } catch {
      continue
    }
    const at = environ.indexOf(LAUNCH_ENV)
    if (at === -1) continue
    const end = environ.indexOf('\0', at)
    const id = environ.slice(at + LAUNCH_ENV.length, end === -1 ? undefined : end)
    if (!launchIds.has(id)) continue
    const pid = Number(entry)
    // The id is in the state, readable by whoever reads it: only a process of compctl's own user that it could have launched counts.
    if (refusedPid(pid) !== null || !isOwnUser(pid)) continue
    const startTime = readStartTime(pid)
    // The group leader is the launched process; its children inherit the variable too.
    const known = found.get(id)
    if (startTime !== null && (!known || pid < known.pid)) found.set(id, {pid, startTime})
  }
  return found
}

/**
 * Records, in `state`, the processes that were launched but not yet recorded when compctl
 * died, so nothing compctl started is ever untracked. Returns the names it adopted.
 */
export function adoptLaunched(state: CompctlState): string[] {
  const waiting = new Map<string, string>()
  for (const [name, component] of Object.entries(state.components))
    if (component.pending?.launchId && component.pid == null) waiting.set(component.pending.launchId, name)
  const found = findLaunched(new Set(waiting.keys()))
  const adopted: string[] = []
  for (const [launchId, identity] of found) {
    const name = waiting.get(launchId)!
    const component = state.components[name]!
    component.pid = identity.pid
    component.startTime = identity.startTime
    adopted.push(name)
  }
  return adopted.sort()
}
