import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {cpSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach} from 'vitest'
import {readStartTime} from '../../src/process/observe.js'
import {launchedProcesses} from './state.js'

export const ROOT = resolve(import.meta.dirname, '../..')
export const BIN = join(ROOT, 'bin/run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Environment for a compctl run in tests: no colour, no terminal assumptions. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.FORCE_COLOR
  // Tests run in GitHub Actions must not append their plans to the job's own summary.
  delete env.GITHUB_STEP_SUMMARY
  Object.assign(env, extra)
  return env
}

/** Runs `compctl ARGS` to completion in `cwd`. */
export function compctl(args: string[], options: {cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: testEnv(options.env),
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  })
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

/** Makes a FIFO at `path` (mkfifo(1)); throws when it cannot. */
export function mkfifo(path: string): void {
  const made = spawnSync('mkfifo', [path], {encoding: 'utf8'})
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr}`)
}

/** compctl processes started by compctlAsync: one a failed test left running is killed after it. */
const started = new Set<ChildProcess>()

/** Starts `compctl ARGS` without waiting; for signals and concurrency tests. */
export function compctlAsync(args: string[], options: {cwd: string; env?: Record<string, string>}) {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, env: testEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
  started.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<CliResult>((resolveDone) => child.on('close', (code) => resolveDone({code, stdout, stderr})))
  return {child, done, output: () => ({stdout, stderr})}
}

/**
 * A fresh temporary folder, removed after the test; with `example`, a copy of examples/NAME.
 * Every process group recorded in its state is killed first, so no test leaves a process behind.
 */
export function tempProject(example?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-test-'))
  // An example's own state folder (left by someone trying it in place) is not part of it.
  if (example) cpSync(join(ROOT, 'examples', example), dir, {recursive: true, filter: (source) => !source.startsWith(join(ROOT, 'examples', example, 'state'))})
  projects.push(dir)
  return dir
}

const projects: string[] = []
const groups = new Set<number>()

/** Registers a process group for the cleanup after this test. */
export function trackGroup(pgid: number): void {
  groups.add(pgid)
}

function killGroup(pgid: number): void {
  // -1 would signal every process we may signal; 0 our own group.
  if (!Number.isInteger(pgid) || pgid <= 1) return
  try {
    process.kill(-pgid, 'SIGKILL')
  } catch {}
}

/**
 * Kills the process groups recorded in the project's state: only those whose recorded start
 * time still matches, so a made-up or reused pid is never signalled.
 */
export function killRecordedGroups(dir: string): void {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')) as {
      components?: Record<string, {pid?: number | null; startTime?: number | null}>
    }
    for (const {pid, startTime} of Object.values(state.components ?? {}))
      if (typeof pid === 'number' && typeof startTime === 'number' && readStartTime(pid) === startTime) killGroup(pid)
  } catch {}
}

afterEach(() => {
  // Our own children, not yet reaped: their pids cannot have been reused.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  started.clear()
  for (const pgid of groups) killGroup(pgid)
  groups.clear()
  for (const dir of projects.splice(0)) {
    killRecordedGroups(dir)
    for (const {pid} of launchedProcesses(dir)) killGroup(pid)
    rmSync(dir, {recursive: true, force: true})
  }
})

/** A real `sleep` in its own process group, standing in for a component apply started; killed after the test. */
export interface Sleeper {
  pid: number
  startTime: number
  kill(): Promise<void>
}

export async function startSleeper(): Promise<Sleeper> {
  const child = spawn('sleep', ['600'], {detached: true, stdio: 'ignore'})
  trackGroup(child.pid!)
  const startTime = readStartTime(child.pid!)
  if (startTime === null) throw new Error('sleep did not start')
  return {
    pid: child.pid!,
    startTime,
    kill: async () => {
      const exited = once(child, 'exit')
      process.kill(-child.pid!, 'SIGKILL')
      await exited
    },
  }
}
