import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach} from 'vitest'
import type {CompctlEvent} from '../../src/model/generated/events.js'
import {compctlAsync, tempProject, type CliResult} from '../helpers/cli.js'
import {isAlive, launchedProcesses, readState, waitFor} from '../helpers/state.js'

/** Generous: the machine is shared, and a restart waits for its backoff. */
export const WAIT_MS = 20_000

export interface Supervised {
  child: ReturnType<typeof compctlAsync>['child']
  done: Promise<CliResult>
  events(): CompctlEvent[]
  /** Waits for an event matching `match`, and returns it. */
  waitForEvent(match: (event: CompctlEvent) => boolean, what: string): Promise<CompctlEvent>
  exited(): boolean
}

const running: Supervised[] = []

/** A project whose compctl.yaml is `yaml`. */
export function project(yaml: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), yaml)
  return dir
}

/** `compctl supervise --json` in `dir`, started; resolves once it says it supervises (unless told not to wait). */
export async function superviseIn(dir: string, args: string[] = [], options: {waitUntilSupervising?: boolean} = {}): Promise<Supervised> {
  const run = compctlAsync(['supervise', '--json', ...args], {cwd: dir})
  let exited = false
  const done = run.done.then((result) => {
    exited = true
    return result
  })
  const events = () =>
    run
      .output()
      .stdout.split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as CompctlEvent)
  const supervised: Supervised = {
    child: run.child,
    done,
    events,
    exited: () => exited,
    async waitForEvent(match, what) {
      await waitFor(() => events().some(match) || exited, WAIT_MS, what)
      const found = events().find(match)
      if (!found) throw new Error(`compctl supervise ended before ${what}:\n${run.output().stdout}\n${run.output().stderr}`)
      return found
    },
  }
  running.push(supervised)
  if (options.waitUntilSupervising !== false) await supervised.waitForEvent(isSupervising, 'supervise to start supervising')
  return supervised
}

export const isSupervising = (event: CompctlEvent): boolean => event.type === 'step_progress' && event.stepId === 'supervise' && event.message.startsWith('supervising')

/** The recorded pid of each component. */
export function pids(dir: string): Record<string, number | null | undefined> {
  return Object.fromEntries(Object.entries(readState(dir).components).map(([name, c]) => [name, c.pid]))
}

/** Waits until `name` runs again as a process other than `before`, and returns its pid. */
export async function waitForNewPid(dir: string, name: string, before: number): Promise<number> {
  let now: number | null | undefined
  await waitFor(
    () => {
      const recorded = readState(dir).components[name]
      now = recorded?.pid
      return recorded?.status === 'running' && typeof now === 'number' && now !== before && isAlive(now)
    },
    WAIT_MS,
    `${name} to run again with a new pid`,
  )
  return now!
}

/** Nothing the project launched is left: neither a recorded process nor any carrying its launch id. */
export function nothingLeft(dir: string): boolean {
  return launchedProcesses(dir).length === 0
}

/** Kills the process group of a component's recorded process. */
export function killComponent(dir: string, name: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  const pid = readState(dir).components[name]!.pid!
  process.kill(-pid, signal)
  return pid
}

// Runs before tempProject's clean-up (after-hooks run in reverse order): no supervise is left to restart what that kills.
afterEach(async () => {
  for (const supervised of running.splice(0)) {
    if (supervised.exited()) continue
    supervised.child.kill('SIGKILL')
    await supervised.done
  }
})
