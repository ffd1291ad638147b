import {existsSync, readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'
import type {CompctlState} from '../../src/model/generated/state.js'
import {readStartTime} from '../../src/process/observe.js'
import {expect} from 'vitest'
import {UserError} from '../../src/errors.js'

export function readState(dir: string): CompctlState {
  return JSON.parse(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')) as CompctlState
}

export function isAlive(pid: number | null | undefined): boolean {
  return typeof pid === 'number' && readStartTime(pid) !== null
}

/**
 * Group leaders of every live process compctl launched for the project in `dir`: found by the
 * launch id in their environment and their working folder, not by anything compctl recorded.
 */
export function launchedProcesses(dir: string): Array<{pid: number; launchId: string}> {
  const found: Array<{pid: number; launchId: string}> = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0')
      const launch = environ.find((v) => v.startsWith('COMPCTL_LAUNCH_ID='))
      if (!launch || !readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pgid = Number(fields[2])
      if (pgid === Number(entry) && fields[0] !== 'Z') found.push({pid: Number(entry), launchId: launch.split('=')[1]!})
    } catch {}
  }
  return found
}

export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Far above any real pid: a recorded process that can never be found alive. */
export const FAKE_PID = 5_000_000

/** `state` with one more running component `name` whose pid is FAKE_PID + `pid`. */
export const withComponent = (state: CompctlState, name: string, pid: number): CompctlState => ({
  ...state,
  components: {...state.components, [name]: {spec: {command: ['sleep', '9']}, specHash: 'sha256:1', status: 'running', pid: FAKE_PID + pid, startTime: 7}},
})

/** The UserError `promise` rejects with (the test fails when it resolves or throws anything else). */
export async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  return error as UserError
}

/** Everything a UserError prints: its lines and its hint. */
export const textOf = (error: UserError) => [...error.lines, error.hint ?? ''].join('\n')

/**
 * After a run of compctl was killed: every live process it launched for the project in `dir` is
 * recorded, by pid or by the launch id of a journaled intent. With no state at all, nothing may
 * have been launched (a run killed before its first write cannot have started anything).
 */
export function expectEveryLaunchTracked(dir: string, round: number): void {
  if (!existsSync(join(dir, 'state/compctl.state.json'))) {
    expect(launchedProcesses(dir)).toEqual([])
    return
  }
  const state = readState(dir)
  const recorded = new Set(Object.values(state.components).map((c) => c.pid))
  const launchIds = new Set(Object.values(state.components).map((c) => c.pending?.launchId))
  for (const process of launchedProcesses(dir))
    expect(recorded.has(process.pid) || launchIds.has(process.launchId), `pid ${process.pid} untracked after round ${round}`).toBe(true)
}
