import {resolve} from 'node:path'
import {changeLogDir, changeTargetLogFile} from '../logs/paths.js'
import type {Change, Expect, Target} from '../model/generated/compctl.js'
import type {TargetOutcome} from '../model/generated/state.js'
import {batchesOf} from '../planner/plan.js'
import {type CommandSpec, describeCommand, runCommand} from '../process/run-command.js'
import {durationMs} from '../util/duration.js'
import {appendPrivateSync, makePrivateDirSync} from '../util/private-files.js'
import {selectBackout} from './backout.js'
import {type CommandFailure, type PhaseName, unmetExpectation} from './expect.js'
import {commandFor, targetsOf, varsFor} from './vars.js'

export interface ChangeRunContext {
  name: string
  change: Change
  baseDir: string
  stateDir: string
  /** Aborted: no new target or command starts, and running commands are killed. */
  signal?: AbortSignal
  onProgress?: (p: {message: string; batch?: number; target?: string; phase?: string; attempt?: number}) => void
  onOutput?: (p: {target: string; line: string}) => void
  /** Called as each target reaches an outcome (the executor journals it in the state at once). */
  onTargetOutcome?: (target: string, outcome: TargetOutcome) => Promise<void> | void
}

export interface ChangeRunResult {
  status: 'success' | 'failed'
  /** A target failed and onFailure is `abort` or `backout-all`: the executor must start no further step. */
  abortApply: boolean
  /** The signal was aborted. */
  interrupted: boolean
  /** Outcome of each target that ran. */
  targets: Record<string, TargetOutcome>
  /** One line for people: which target failed in which phase and why. */
  error: string | null
  /** Last lines of the failing command's output. */
  tail: string[]
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000
const TAIL_LINES = 10
const COMMAND_SHOWN_CHARS = 80

interface PhaseSpec {
  run: CommandSpec[]
  expect?: Expect
  timeout?: number | string
}

type PhaseResult = {ok: true} | {ok: false; interrupted: boolean; reason: string; failure: CommandFailure; tail: string[]}

interface TargetRun {
  outcome: TargetOutcome['outcome']
  error: string | null
  tail: string[]
  interrupted: boolean
}

function shortCommand(command: CommandSpec): string {
  const text = describeCommand(command)
  return text.length > COMMAND_SHOWN_CHARS ? `${text.slice(0, COMMAND_SHOWN_CHARS - 1)}…` : text
}

/** Runs one change over its targets, batch by batch, and says how each target ended. */
export async function runChange(context: ChangeRunContext): Promise<ChangeRunResult> {
  const {name, change, baseDir, signal} = context
  const onFailure = change.onFailure ?? 'abort'
  const targets = new Map(targetsOf(change).map((t) => [t.name, t]))
  const stateDir = resolve(baseDir, context.stateDir)
  makePrivateDirSync(changeLogDir(stateDir, name))
  const logFileOf = (target: string) => changeTargetLogFile(stateDir, name, target)
  const progress = context.onProgress ?? (() => {})
  const interrupted = () => signal?.aborted === true

  const outcomes: Record<string, TargetOutcome> = {}
  const attemptsOf = new Map<string, number>()
  /** Targets that succeeded, in the order they did. */
  const succeeded: string[] = []
  const failures: Array<{target: string; run: TargetRun}> = []

  const record = async (target: string, run: Pick<TargetRun, 'outcome' | 'error'>) => {
    const outcome: TargetOutcome = {outcome: run.outcome, at: new Date().toISOString(), attempts: attemptsOf.get(target) ?? 0, error: run.error}
    outcomes[target] = outcome
    await context.onTargetOutcome?.(target, outcome)
  }

  /** Runs a phase's commands in order for one target; the first that misses `expect` fails it. */
  const runPhase = async (target: Target, phaseName: PhaseName, phase: PhaseSpec, attempt: number): Promise<PhaseResult> => {
    const vars = varsFor(change, target)
    const logFile = logFileOf(target.name)
    const timeoutMs = durationMs(phase.timeout, DEFAULT_TIMEOUT_MS)
    appendPrivateSync(logFile, `\n=== ${new Date().toISOString()} ${phaseName} (attempt ${attempt}) ===\n`)
    // Views prefix the target name themselves.
    progress({message: attempt > 1 ? `${phaseName} (attempt ${attempt})` : phaseName, target: target.name, phase: phaseName, attempt})
    for (const raw of phase.run) {
      const command = commandFor(raw, vars)
      if (interrupted()) {
        return {ok: false, interrupted: true, reason: `${phaseName} interrupted`, failure: {phase: phaseName, exitCode: null, stdout: '', stderr: ''}, tail: []}
      }
      const tail: string[] = []
      const result = await runCommand(command, {
        cwd: baseDir,
        env: vars,
        timeoutMs,
        signal,
        logFile,
        onLine: (line) => {
          tail.push(line)
          if (tail.length > TAIL_LINES) tail.shift()
          context.onOutput?.({target: target.name, line})
        },
      })
      const unmet = unmetExpectation(result, phase.expect, timeoutMs)
      if (unmet === null) continue
      appendPrivateSync(logFile, `compctl: ${phaseName} failed: ${unmet}\n`)
      return {
        ok: false,
        interrupted: result.aborted,
        reason: `${phaseName} failed: \`${shortCommand(command)}\` ${unmet}`,
        failure: {phase: phaseName, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr},
        tail,
      }
    }
    return {ok: true}
  }

  /** Backs a target out after `failure` (null: it had succeeded, and backout-all undoes it). */
  const backOut = async (target: Target, failure: CommandFailure | null, attempt: number): Promise<TargetRun> => {
    const selected = selectBackout(change.backout, failure)
    if (!selected) {
      if (failure === null)
        return {outcome: 'backout_failed', error: 'cannot back out: no backout entry without `when` applies to a target that succeeded', tail: [], interrupted: false}
      const why = change.backout ? `no backout entry matches (exit ${failure.exitCode ?? 'none'})` : 'no backout defined'
      return {outcome: 'failed', error: why, tail: [], interrupted: false}
    }
    const backout = await runPhase(target, 'backout', selected.entry, attempt)
    if (!backout.ok) return {outcome: 'backout_failed', error: `backout[${selected.index}] ${backout.reason}`, tail: backout.tail, interrupted: backout.interrupted}
    if (change.verifyBackout) {
      const verified = await runPhase(target, 'verifyBackout', change.verifyBackout, attempt)
      if (!verified.ok) return {outcome: 'backout_failed', error: `backout[${selected.index}] ran; ${verified.reason}`, tail: verified.tail, interrupted: verified.interrupted}
    }
    return {outcome: 'backout_ok', error: `backed out by backout[${selected.index}]`, tail: [], interrupted: false}
  }

  const runAttempt = async (target: Target, attempt: number): Promise<TargetRun> => {
    if (change.check) {
      const check = await runPhase(target, 'check', change.check, attempt)
      if (!check.ok) return {outcome: 'failed', error: check.reason, tail: check.tail, interrupted: check.interrupted}
    }
    let result = await runPhase(target, 'apply', change.apply, attempt)
    if (result.ok && change.verify) result = await runPhase(target, 'verify', change.verify, attempt)
    if (result.ok) return {outcome: 'success', error: null, tail: [], interrupted: false}
    if (result.interrupted || interrupted()) return {outcome: 'failed', error: `${result.reason}; not backed out (interrupted)`, tail: result.tail, interrupted: true}
    const backout = await backOut(target, result.failure, attempt)
    return {outcome: backout.outcome, error: `${result.reason}; ${backout.error}`, tail: result.tail, interrupted: backout.interrupted}
  }

  /** Runs a target from `check`, again after each failed attempt while retries are left. */
  const runTarget = async (target: Target, batch: number): Promise<TargetRun> => {
    const maxAttempts = 1 + (change.retries ?? 0)
    let run: TargetRun | null = null
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) progress({message: `retrying (attempt ${attempt} of ${maxAttempts})`, batch, target: target.name, attempt})
      attemptsOf.set(target.name, attempt)
      run = await runAttempt(target, attempt)
      // A failed backout leaves the target in an unknown state: applying again on top of it could make things worse.
      if (run.outcome === 'success' || run.outcome === 'backout_failed' || run.interrupted || interrupted()) break
    }
    return run!
  }

  const batches = batchesOf(change)
  for (const [index, batch] of batches.entries()) {
    if (interrupted() || (failures.length > 0 && onFailure !== 'continue')) break
    progress({message: `batch ${index + 1}/${batches.length}: ${batch.join(', ')}`, batch: index + 1})
    await Promise.all(
      batch.map(async (targetName) => {
        const run = await runTarget(targets.get(targetName)!, index + 1)
        if (run.outcome === 'success') succeeded.push(targetName)
        else failures.push({target: targetName, run})
        await record(targetName, run)
      }),
    )
  }

  if (onFailure === 'backout-all' && failures.length > 0) {
    for (const targetName of [...succeeded].reverse()) {
      if (interrupted()) break
      progress({message: `backing out (backout-all after ${failures[0]!.target} failed)`, target: targetName, phase: 'backout'})
      const backout = await backOut(targets.get(targetName)!, null, attemptsOf.get(targetName) ?? 1)
      await record(targetName, {outcome: backout.outcome, error: `${backout.error} (backout-all after ${failures[0]!.target} failed)`})
    }
  }

  const notRun = batches.flat().filter((t) => !(t in outcomes))
  const allSucceeded = failures.length === 0 && notRun.length === 0
  return {
    status: allSucceeded && !interrupted() ? 'success' : 'failed',
    abortApply: failures.length > 0 && onFailure !== 'continue',
    interrupted: interrupted(),
    targets: outcomes,
    error: summarize(failures, notRun, interrupted()),
    tail: failures[0]?.run.tail ?? [],
  }
}

function summarize(failures: Array<{target: string; run: TargetRun}>, notRun: string[], interrupted: boolean): string | null {
  const parts: string[] = []
  const first = failures[0]
  if (first) parts.push(`${first.target}: ${first.run.outcome}: ${first.run.error}`)
  if (failures.length > 1) parts.push(`${failures.length - 1} more target${failures.length > 2 ? 's' : ''} failed (${failures.slice(1).map((f) => f.target).join(', ')})`)
  if (notRun.length > 0) parts.push(`not run${interrupted ? ' (interrupted)' : ''}: ${notRun.join(', ')}`)
  else if (interrupted && parts.length === 0) parts.push('interrupted')
  return parts.length > 0 ? parts.join('; ') : null
}
