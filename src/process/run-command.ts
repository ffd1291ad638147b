import {secrets} from '../secrets/secrets.js'
import {monotonicMs} from '../util/clock.js'
import {appendPrivateSync} from '../util/private-files.js'
import {refusedPid} from './observe.js'

/** A command as the file format has it: argv (no shell) or one string for `/bin/sh -c`. */
export type CommandSpec = string | readonly string[]

export interface RunOptions {
  cwd: string
  /** Set on top of compctl's own environment. */
  env?: Record<string, string>
  /** The command's whole process group is killed after this (SIGTERM, then SIGKILL 2s later). */
  timeoutMs: number
  /** Aborting kills the command's process group the same way. */
  signal?: AbortSignal
  /** Each line of output as it comes. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Appends a `$ command` header and the output to this file. */
  logFile?: string
}

export interface CommandResult {
  /** null when it did not exit normally (killed by a signal, or never started). */
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  timedOut: boolean
  aborted: boolean
  /** Why it never ran (e.g. the program does not exist), or null. */
  startError: string | null
  durationMs: number
}

/** How a command reads in logs and messages. */
export function describeCommand(command: CommandSpec): string {
  return typeof command === 'string' ? command : command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

const KILL_GRACE_MS = 2000

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || refusedPid(pid) !== null) return
  try {
    process.kill(-pid, signal)
  } catch {}
}

/**
 * Runs a one-shot command (a hook, a probe, a step of a change) in its own process group and
 * waits for it. Never throws for the command's own failure: the result says what happened.
 */
export async function runCommand(command: CommandSpec, options: RunOptions): Promise<CommandResult> {
  const {execa} = await import('execa')
  // The command holds sensitive values as markers: the log shows it so, only the process gets the values.
  const real = secrets.reveal({command, cwd: options.cwd, env: options.env})
  const [file, ...args] = typeof real.command === 'string' ? ['/bin/sh', '-c', real.command] : real.command
  const started = monotonicMs()
  if (options.logFile) appendPrivateSync(options.logFile, `$ ${secrets.display(describeCommand(command))}\n`)
  const child = execa(file!, args, {
    cwd: real.cwd,
    env: real.env,
    extendEnv: true,
    detached: true,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    maxBuffer: 16 * 1024 * 1024,
  })
  let timedOut = false
  let aborted = false
  const stop = () => {
    killGroup(child.pid, 'SIGTERM')
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref()
  }
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, options.timeoutMs)
  const onAbort = () => {
    aborted = true
    stop()
  }
  options.signal?.addEventListener('abort', onAbort, {once: true})
  if (options.signal?.aborted) onAbort()

  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = ''
    child[stream]?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      if (options.logFile) appendPrivateSync(options.logFile, secrets.hide(text))
      if (!options.onLine) return
      const lines = (partial + text).split('\n')
      partial = lines.pop()!
      for (const line of lines) options.onLine(line, stream)
    })
    child[stream]?.on('end', () => {
      if (partial !== '' && options.onLine) options.onLine(partial, stream)
    })
  }

  const result = await child
  clearTimeout(timer)
  options.signal?.removeEventListener('abort', onAbort)
  const startError =
    result.failed && result.exitCode === undefined && !result.isTerminated ? secrets.hide(result.originalMessage || result.shortMessage || 'could not start') : null
  if (startError && options.logFile) appendPrivateSync(options.logFile, `compctl: could not run it: ${startError}\n`)
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut,
    aborted,
    startError,
    durationMs: monotonicMs() - started,
  }
}
