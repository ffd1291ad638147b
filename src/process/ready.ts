import {open} from 'node:fs/promises'
import type {ClientRequest, IncomingMessage, request as httpRequest} from 'node:http'
import {connect} from 'node:net'
import type {Probe} from '../model/generated/compctl.js'
import {monotonicMs} from '../util/clock.js'
import {durationMs, formatMs} from '../util/duration.js'
import type {ExitInfo} from './launch.js'
import {observe, type Observation, type ProcessIdentity} from './observe.js'
import {describeCommand, runCommand, type CommandSpec} from './run-command.js'

export type ReadyResult = {ok: true; elapsedMs: number} | {ok: false; reason: string}

export interface ReadyTarget {
  identity: ProcessIdentity
  /** Our own child's exit, when this compctl launched it: names the exit code in the reason. */
  exited?: Promise<ExitInfo>
  /** Where a `command` probe runs, and on top of compctl's environment, with what. */
  cwd: string
  env?: Record<string, string>
  /** Where a `log` probe reads: the component's log, from its size when this start began. */
  log: LogSince
}

/** A log file and the byte offset from which its lines count. */
export interface LogSince {
  file: string
  offset: number
}

export interface ReadyOptions {
  /** Aborting ends the wait with {ok: false, reason: 'interrupted'}. */
  signal?: AbortSignal
  onProgress?: (message: string) => void
}

const RETRY_MS = 200
const DEFAULT_TIMEOUT_MS = 30_000
const MIN_ATTEMPT_MS = 100
const CONNECT_ATTEMPT_MS = 2_000
const HTTP_ATTEMPT_MS = 5_000
const COMMAND_ATTEMPT_MS = 10_000
/** How long to wait for an exited child's status once /proc shows it gone. */
const EXIT_STATUS_WAIT_MS = 1_000

const interrupted = (): ReadyResult => ({ok: false, reason: 'interrupted'})

/** One try of a check: `final` when retrying cannot help (the probe command cannot run at all). */
type Attempt = {held: true} | {held: false; why: string; final?: boolean}

interface Check {
  label: string
  attempt(timeoutMs: number, signal: AbortSignal): Promise<Attempt>
}

const HELD: Attempt = {held: true}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePause) => {
    if (signal.aborted) return resolvePause()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolvePause()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, {once: true})
  })
}

function describeNetError(error: NodeJS.ErrnoException, host: string): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused'
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return `cannot resolve ${host}`
  return error.code ?? error.message
}

/** Settles an attempt once, whichever of connect, error, timeout or abort comes first. */
function settleOnce(timeoutMs: number, signal: AbortSignal, cleanup: () => void, resolveAttempt: (attempt: Attempt) => void) {
  let settled = false
  const finish = (attempt: Attempt) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
    cleanup()
    resolveAttempt(attempt)
  }
  const onAbort = () => finish({held: false, why: 'interrupted'})
  const timer = setTimeout(() => finish({held: false, why: `no answer within ${formatMs(timeoutMs)}`}), timeoutMs)
  signal.addEventListener('abort', onAbort, {once: true})
  return finish
}

function tcpCheck(address: string): Check {
  const colon = address.lastIndexOf(':')
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  const port = Number(address.slice(colon + 1))
  return {
    label: `tcp ${address}`,
    attempt: (timeoutMs, signal) =>
      new Promise((resolveAttempt) => {
        const socket = connect({host, port})
        const finish = settleOnce(timeoutMs, signal, () => socket.destroy(), resolveAttempt)
        socket.on('connect', () => finish(HELD))
        socket.on('error', (error) => finish({held: false, why: describeNetError(error, host)}))
      }),
  }
}

function httpCheck(url: string): Check {
  // node:http and node:https (TLS with it) load only once an http probe runs: every apply loads this module.
  const sender: Promise<typeof httpRequest> = (url.startsWith('https:') ? import('node:https') : import('node:http')).then((module) => module.request)
  return {
    label: `http ${url}`,
    attempt: async (timeoutMs, signal) => {
      const send = await sender
      return new Promise((resolveAttempt) => {
        let request: ClientRequest
        try {
          // No keep-alive agent: an idle pooled socket must not keep compctl's event loop alive.
          request = send(url, {method: 'GET', agent: false})
        } catch (error) {
          return resolveAttempt({held: false, why: `invalid URL: ${(error as Error).message}`, final: true})
        }
        const finish = settleOnce(timeoutMs, signal, () => request.destroy(), resolveAttempt)
        request.on('response', (response: IncomingMessage) => {
          response.resume()
          const status = response.statusCode ?? 0
          finish(status >= 200 && status < 300 ? HELD : {held: false, why: `answered ${status}`})
        })
        request.on('error', (error) => finish({held: false, why: describeNetError(error, new URL(url).hostname)}))
        request.end()
      })
    },
  }
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop()?.trim() ?? ''
}

/** Where a command probe runs. */
export type ProbePlace = Pick<ReadyTarget, 'cwd' | 'env'>

function commandCheck(command: CommandSpec, target: ProbePlace): Check {
  return {
    label: `command ${describeCommand(command)}`,
    attempt: async (timeoutMs, signal) => {
      const result = await runCommand(command, {cwd: target.cwd, env: target.env, timeoutMs, signal})
      if (result.exitCode === 0) return HELD
      if (result.startError) return {held: false, why: `cannot run it: ${result.startError}`, final: true}
      if (result.aborted) return {held: false, why: 'interrupted'}
      if (result.timedOut) return {held: false, why: `did not finish within ${formatMs(timeoutMs)}`}
      const how = result.signal ? `killed by ${result.signal}` : `exited with code ${result.exitCode}`
      const said = lastLine(result.stderr) || lastLine(result.stdout)
      return {held: false, why: said ? `${how}: ${said}` : how}
    },
  }
}

/** Bytes read from the log per read. */
const LOG_CHUNK_BYTES = 64 * 1024
/** A line without its newline yet is kept up to this size; a longer one is matched on its end. */
const LOG_PARTIAL_LINE_BYTES = 1024 * 1024

/**
 * Matches each whole line written to the log since `since.offset`. Each attempt reads on from
 * where the last one stopped, keeping a line split across reads until its newline arrives. A log
 * found shorter than the offset was truncated in place (copy-then-truncate rotation): it is read
 * again from its start.
 */
function logCheck(pattern: string, since: LogSince): Check {
  const regex = new RegExp(pattern)
  let offset = since.offset
  let partial = Buffer.alloc(0)
  let matched = false
  const readNew = async (): Promise<Attempt> => {
    let handle
    try {
      handle = await open(since.file, 'r')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      return {held: false, why: code === 'ENOENT' ? 'no log yet' : `cannot read ${since.file}: ${code ?? (error as Error).message}`}
    }
    try {
      const {size} = await handle.stat()
      if (size < offset) {
        offset = 0
        partial = Buffer.alloc(0)
      }
      const chunk = Buffer.alloc(LOG_CHUNK_BYTES)
      while (offset < size) {
        const {bytesRead} = await handle.read(chunk, 0, Math.min(chunk.length, size - offset), offset)
        if (bytesRead === 0) break
        offset += bytesRead
        const data = Buffer.concat([partial, chunk.subarray(0, bytesRead)])
        let start = 0
        for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
          const line = data.toString('utf8', start, newline).replace(/\r$/, '')
          start = newline + 1
          if (regex.test(line)) {
            matched = true
            return HELD
          }
        }
        partial = data.subarray(Math.max(start, data.length - LOG_PARTIAL_LINE_BYTES))
      }
      return {held: false, why: 'no matching line yet'}
    } finally {
      await handle.close()
    }
  }
  return {label: `log /${pattern}/`, attempt: async () => (matched ? HELD : readNew())}
}

/** A check with the longest one attempt of it may take. */
interface TimedCheck {
  check: Check
  attemptMs: number
}

/** The probes a `ready` or `health` block can name. */
export type ProbeChecks = Pick<Probe, 'tcp' | 'http' | 'command'>

function checksOf(probe: ProbeChecks | undefined, target: ProbePlace): TimedCheck[] {
  const checks: TimedCheck[] = []
  if (probe?.tcp !== undefined) checks.push({check: tcpCheck(probe.tcp), attemptMs: CONNECT_ATTEMPT_MS})
  if (probe?.http !== undefined) checks.push({check: httpCheck(probe.http), attemptMs: HTTP_ATTEMPT_MS})
  if (probe?.command !== undefined) checks.push({check: commandCheck(probe.command, target), attemptMs: COMMAND_ATTEMPT_MS})
  return checks
}

function describeExit(info: ExitInfo): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`
}

/** Why the target is no longer the running process it was, as a whole reason. */
async function describeGone(target: ReadyTarget, seen: Observation): Promise<string> {
  const {pid} = target.identity
  if (seen.alive) return `pid ${pid} is no longer the launched process (its start time changed)`
  if (target.exited) {
    const stopWaiting = new AbortController()
    const info = await Promise.race([target.exited, pause(EXIT_STATUS_WAIT_MS, stopWaiting.signal).then(() => null)])
    stopWaiting.abort()
    if (info) return `${describeExit(info)} before it was ready`
  }
  return `pid ${pid} exited before it was ready`
}

/** Settles, with the reason, as soon as the process exits or is replaced; polls /proc for adopted ones. */
async function watchForExit(target: ReadyTarget, signal: AbortSignal): Promise<ReadyResult> {
  const polling = (async (): Promise<ReadyResult> => {
    while (!signal.aborted) {
      const seen = observe(target.identity)
      if (!seen.alive || !seen.sameProcess) return {ok: false, reason: await describeGone(target, seen)}
      await pause(RETRY_MS, signal)
    }
    return interrupted()
  })()
  if (!target.exited) return polling
  const exited = target.exited.then((info): ReadyResult => ({ok: false, reason: `${describeExit(info)} before it was ready`}))
  return Promise.race([polling, exited])
}

/** Tries each check once, in order: the first that does not hold, or null when all hold. */
async function firstFailure(checks: TimedCheck[], deadline: number, signal: AbortSignal): Promise<{check: Check; attempt: Attempt & {held: false}} | null> {
  for (const {check, attemptMs} of checks) {
    const attempt = await check.attempt(Math.min(attemptMs, Math.max(deadline - monotonicMs(), MIN_ATTEMPT_MS)), signal)
    if (!attempt.held) return {check, attempt}
  }
  return null
}

async function probeUntilReady(probe: Probe | undefined, target: ReadyTarget, started: number, signal: AbortSignal, onProgress: (message: string) => void): Promise<ReadyResult> {
  const checks = checksOf(probe, target)
  if (probe?.log !== undefined) checks.push({check: logCheck(probe.log, target.log), attemptMs: COMMAND_ATTEMPT_MS})
  const afterMs = durationMs(probe?.after, 0)
  const timeoutMs = durationMs(probe?.timeout, DEFAULT_TIMEOUT_MS)
  const deadline = started + timeoutMs
  if (checks.length > 0) {
    const labels = checks.map(({check}) => check.label).join(' and ')
    onProgress(`waiting for ${labels}`)
    let lastWhy = ''
    for (;;) {
      const failure = await firstFailure(checks, deadline, signal)
      if (signal.aborted) return interrupted()
      if (failure === null) break
      const {check, attempt} = failure
      if (attempt.final) return {ok: false, reason: `${check.label}: ${attempt.why}`}
      const remaining = deadline - monotonicMs()
      if (remaining <= 0) return {ok: false, reason: `${labels} did not hold within ${formatMs(timeoutMs)} (last: ${attempt.why})`}
      if (attempt.why !== lastWhy) onProgress(`still waiting for ${check.label}: ${attempt.why}`)
      lastWhy = attempt.why
      await pause(Math.min(RETRY_MS, remaining), signal)
    }
  }
  let stillToStayUp = started + afterMs - monotonicMs()
  if (stillToStayUp > 0) onProgress(`waiting ${formatMs(stillToStayUp)} to see it stays up`)
  // A loop: timers may fire a fraction of a millisecond early.
  while (stillToStayUp > 0) {
    await pause(Math.ceil(stillToStayUp), signal)
    if (signal.aborted) return interrupted()
    stillToStayUp = started + afterMs - monotonicMs()
  }
  const seen = observe(target.identity)
  if (!seen.alive || !seen.sameProcess) return {ok: false, reason: await describeGone(target, seen)}
  return {ok: true, elapsedMs: monotonicMs() - started}
}

export type ProbeResult = {ok: true} | {ok: false; reason: string}

/**
 * Tries each of the probe's checks once (a `health` check), all within `timeoutMs`: ok when every
 * one holds, else the first that does not, and why. Aborting `signal` ends it as not holding.
 */
export async function probeOnce(probe: ProbeChecks, place: ProbePlace, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const deadline = monotonicMs() + timeoutMs
  for (const {check} of checksOf(probe, place)) {
    const attempt = await check.attempt(Math.max(deadline - monotonicMs(), MIN_ATTEMPT_MS), signal)
    if (!attempt.held) return {ok: false, reason: `${check.label}: ${attempt.why}`}
  }
  return {ok: true}
}

/**
 * Waits until the probe holds (tcp, http, command, log: retried every ~200ms until `timeout`, default
 * 30s) and the process has stayed alive `after` (default 0) from now. Without a probe: ready at
 * once if alive. Fails as soon as the process exits or is no longer the same process.
 */
export async function waitUntilReady(probe: Probe | undefined, target: ReadyTarget, options: ReadyOptions = {}): Promise<ReadyResult> {
  const started = monotonicMs()
  const outer = options.signal
  if (outer?.aborted) return interrupted()
  const inner = new AbortController()
  let onInterrupt = () => {}
  const whenInterrupted = new Promise<ReadyResult>((resolveInterrupted) => {
    onInterrupt = () => {
      inner.abort()
      resolveInterrupted(interrupted())
    }
    outer?.addEventListener('abort', onInterrupt, {once: true})
  })
  try {
    const result = await Promise.race([whenInterrupted, watchForExit(target, inner.signal), probeUntilReady(probe, target, started, inner.signal, options.onProgress ?? (() => {}))])
    return outer?.aborted && !result.ok ? interrupted() : result
  } finally {
    // Ends the loser: the exit watcher's polling and any probe attempt still in flight.
    inner.abort()
    outer?.removeEventListener('abort', onInterrupt)
  }
}
