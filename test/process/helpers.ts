import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {launch, type LaunchedProcess, type LaunchRequest} from '../../src/process/launch.js'
import {tempProject, trackGroup} from '../helpers/cli.js'

/** /proc/PID/stat as numbered in proc(5): [1] pid, [3] state, [4] ppid, [5] pgrp, [22] starttime. */
export function procStat(pid: number): string[] | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  const open = stat.indexOf('(')
  const close = stat.lastIndexOf(')')
  return ['', stat.slice(0, open - 1), stat.slice(open + 1, close), ...stat.slice(close + 2).trim().split(' ')]
}

/** Running (not zombie) processes whose process group is `pgid`. */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    const stat = procStat(Number(entry))
    if (stat && Number(stat[5]) === pgid && stat[3] !== 'Z') members.push(Number(entry))
  }
  return members
}

export function isRunning(pid: number): boolean {
  const stat = procStat(pid)
  return stat !== null && stat[3] !== 'Z'
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)
    await new Promise((resolveWait) => setTimeout(resolveWait, 50))
  }
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** A fresh temp folder (removed after the test) and a log file path inside it. */
export function workspace(): {dir: string; log: string} {
  const dir = tempProject()
  return {dir, log: join(dir, 'logs', 'component.log')}
}

/** Launches and registers the group so afterEach kills it whatever the test does. */
export async function launchTracked(request: LaunchRequest): Promise<LaunchedProcess> {
  const launched = await launch(request)
  trackGroup(launched.pid)
  return launched
}
