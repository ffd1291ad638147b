import {randomUUID} from 'node:crypto'
import {stat} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Component} from '../model/generated/compctl.js'
import type {ComponentState} from '../model/generated/state.js'
import {componentLogFile} from '../logs/paths.js'
import {tailLines} from '../logs/tail.js'
import {launch, type LaunchedProcess} from '../process/launch.js'
import type {ProcessIdentity} from '../process/observe.js'
import {waitUntilReady} from '../process/ready.js'
import {runCommand, type CommandSpec} from '../process/run-command.js'
import {signalProcess, stopProcess} from '../process/stop.js'
import type {StateJournal} from '../state/journal.js'
import {secrets} from '../secrets/secrets.js'
import {durationMs} from '../util/duration.js'
import {makePrivateDir} from '../util/private-files.js'
import {nowIso, type StepContext, type StepResult} from './step-context.js'

const HOOK_TIMEOUT_MS = 5 * 60_000
const MAX_BACKOFF_MS = 30_000
const RESTART_ENV = 'COMPCTL_LAUNCH_ID'

/** A file's size in bytes; 0 when it does not exist yet. */
async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (stats) => stats.size,
    () => 0,
  )
}

function identityOf(recorded: ComponentState | undefined): ProcessIdentity | null {
  if (!recorded || typeof recorded.pid !== 'number' || typeof recorded.startTime !== 'number') return null
  return {pid: recorded.pid, startTime: recorded.startTime}
}

function pendingFor(ctx: StepContext, launchId?: string): ComponentState['pending'] {
  return {action: ctx.step.action, stepId: ctx.step.id, planId: ctx.plan.id, since: nowIso(), ...(launchId ? {launchId} : {})}
}

async function runHook(ctx: StepContext, spec: Component, hook: 'preStart' | 'postStart' | 'postStop'): Promise<string | null> {
  const command = spec.hooks?.[hook] as CommandSpec | undefined
  if (command === undefined) return null
  ctx.progress(`running hook ${hook}`)
  const result = await runCommand(command, {
    cwd: resolve(ctx.plan.source.baseDir, spec.cwd ?? '.'),
    env: spec.env,
    timeoutMs: HOOK_TIMEOUT_MS,
    signal: ctx.signal,
    logFile: componentLogFile(ctx.plan.source.stateDir, ctx.step.name),
    onLine: (line) => ctx.output(line),
  })
  if (result.exitCode === 0) return null
  const how = result.startError ?? (result.timedOut ? 'timed out' : result.exitCode !== null ? `exited ${result.exitCode}` : `killed by ${result.signal}`)
  return `hook ${hook} failed: ${how}`
}

/** Stops a component's recorded process with its recorded spec's stop settings. */
async function stopRecorded(journal: StateJournal, name: string, onProgress: (message: string) => void): Promise<string> {
  const recorded = journal.current.components[name]
  const identity = identityOf(recorded)
  if (!identity) return 'no process recorded'
  const spec = recorded!.spec as unknown as Component
  const result = await stopProcess(identity, {
    signal: (spec.stop?.signal ?? 'SIGTERM') as NodeJS.Signals,
    timeoutMs: durationMs(spec.stop?.timeout, 10_000),
    onProgress,
  })
  return result.detail
}

/** Launches, records, waits for readiness; retries per `restart` (never for core). */
async function startProcess(ctx: StepContext, spec: Component): Promise<StepResult> {
  const {step, journal, plan} = ctx
  const name = step.name
  const kind = spec.kind ?? 'dispensable'
  const attempts = kind === 'core' ? 1 : 1 + (spec.restart?.retries ?? 0)
  let backoff = durationMs(spec.restart?.backoff, 1000)
  const cwd = resolve(plan.source.baseDir, spec.cwd ?? '.')
  const logFile = componentLogFile(plan.source.stateDir, name)
  await makePrivateDir(dirname(logFile))
  let lastError = ''

  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (ctx.signal.aborted) {
      lastError = 'interrupted'
      break
    }
    if (attempt > 1) {
      ctx.progress(`retrying in ${backoff}ms (attempt ${attempt}/${attempts})`, {attempt})
      try {
        await sleep(backoff, undefined, {signal: ctx.signal})
      } catch {
        lastError = 'interrupted'
        break
      }
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
    }
    // Intent first, with the launch id the process will carry: whatever happens next, it can be found.
    const launchId = randomUUID()
    await journal.update((state) => {
      const previous = state.components[name]
      state.components[name] = {
        spec: step.spec,
        specHash: step.specHash,
        ...(step.assumes.watched ? {watched: step.assumes.watched} : {}),
        status: 'starting',
        pid: null,
        startTime: null,
        startedAt: null,
        restarts: (previous?.restarts ?? 0) + (attempt > 1 ? 1 : 0),
        lastError: null,
        ...(previous?.lastExit ? {lastExit: previous.lastExit} : {}),
        pending: pendingFor(ctx, launchId),
      }
    })
    const hookError = await runHook(ctx, spec, 'preStart')
    if (hookError) {
      lastError = hookError
      continue
    }
    // A `log` probe counts only what this start writes: the log's end now, before the launch.
    const logSince = {file: logFile, offset: await sizeOf(logFile)}
    let launched: LaunchedProcess
    try {
      launched = await launch({command: spec.command as CommandSpec, env: {...spec.env, [RESTART_ENV]: launchId}, cwd, logFile})
    } catch (error) {
      lastError = (error as Error).message
      continue
    }
    ctx.launched(launched)
    try {
      await journal.update((state) => {
        const recorded = state.components[name]!
        recorded.pid = launched.pid
        recorded.startTime = launched.startTime
        recorded.startedAt = nowIso()
      })
    } catch (error) {
      // Nothing compctl starts is ever untracked: a process whose launch cannot be recorded is stopped.
      await stopProcess(launched, {signal: (spec.stop?.signal ?? 'SIGTERM') as NodeJS.Signals, timeoutMs: durationMs(spec.stop?.timeout, 10_000)})
      throw new Error(`stopped pid ${launched.pid} again: its launch could not be recorded: ${(error as Error).message}`)
    }
    ctx.progress(`started pid ${launched.pid}; waiting until ready`, {pid: launched.pid, attempt})
    const ready = await waitUntilReady(
      secrets.reveal(spec.ready),
      {identity: launched, exited: launched.exited, cwd, env: spec.env, log: logSince},
      {signal: ctx.signal, onProgress: (message) => ctx.progress(message)},
    )
    const postStartError = ready.ok ? await runHook(ctx, spec, 'postStart') : null
    if (ready.ok && !postStartError) {
      await journal.update((state) => {
        const recorded = state.components[name]!
        recorded.status = 'running'
        delete recorded.pending
      })
      return {ok: true, pid: launched.pid, message: `pid ${launched.pid}, ready in ${Math.round(ready.elapsedMs)}ms`}
    }
    lastError = ready.ok ? postStartError! : `not ready: ${ready.reason}`
    // A start that failed leaves no process behind.
    await stopProcess(launched, {signal: (spec.stop?.signal ?? 'SIGTERM') as NodeJS.Signals, timeoutMs: durationMs(spec.stop?.timeout, 10_000)})
  }

  // Killed by a second Ctrl-C (or a lost lock): not a failure of the component itself.
  const interrupted = ctx.signal.aborted
  if (interrupted) lastError = 'interrupted'
  await journal.update((state) => {
    const recorded = state.components[name]
    if (!recorded) return
    recorded.status = interrupted ? 'stopped' : 'failed'
    recorded.pid = null
    recorded.startTime = null
    recorded.lastError = lastError
    delete recorded.pending
  })
  return {ok: false, error: lastError, tail: await tailLines(logFile), startFailure: !interrupted}
}

export async function startComponent(ctx: StepContext): Promise<StepResult> {
  return startProcess(ctx, ctx.step.spec as unknown as Component)
}

/**
 * The stopping half of a stop or restart: journals the intent, stops the recorded process with
 * its recorded spec's settings and runs that spec's postStop hook. Returns what happened and
 * the hook's error, if any.
 */
async function stopForStep(ctx: StepContext): Promise<{detail: string; hookError: string | null}> {
  const name = ctx.step.name
  const recorded = ctx.journal.current.components[name]
  const spec = (recorded?.spec ?? ctx.step.spec) as unknown as Component
  await ctx.journal.update((state) => {
    const entry = state.components[name]
    if (entry) {
      entry.status = 'stopping'
      entry.pending = pendingFor(ctx)
    }
  })
  const detail = await stopRecorded(ctx.journal, name, (message) => ctx.progress(message))
  const hookError = identityOf(recorded) ? await runHook(ctx, spec, 'postStop') : null
  return {detail, hookError}
}

/** Stop: the component was removed (or destroy): it leaves the state. */
export async function stopComponent(ctx: StepContext): Promise<StepResult> {
  const {detail, hookError} = await stopForStep(ctx)
  await ctx.journal.update((state) => {
    delete state.components[ctx.step.name]
  })
  if (hookError) return {ok: false, error: hookError}
  return {ok: true, message: detail}
}

/** Restart: stop the recorded process (its own stop settings), then start with the new spec. */
export async function restartComponent(ctx: StepContext): Promise<StepResult> {
  ctx.progress('stopping')
  const {hookError} = await stopForStep(ctx)
  await ctx.journal.update((state) => {
    const entry = state.components[ctx.step.name]
    if (entry) {
      entry.status = 'stopped'
      entry.pid = null
      entry.startTime = null
    }
  })
  if (hookError) return {ok: false, error: hookError}
  return startProcess(ctx, ctx.step.spec as unknown as Component)
}

/** Reload: signal the running process; the state records the new spec. */
export async function reloadComponent(ctx: StepContext): Promise<StepResult> {
  const name = ctx.step.name
  const spec = ctx.step.spec as unknown as Component
  const identity = identityOf(ctx.journal.current.components[name])
  const signal = (spec.reload?.signal ?? 'SIGHUP') as NodeJS.Signals
  const sent = identity ? signalProcess(identity, signal) : 'gone'
  if (sent !== 'sent')
    return {ok: false, error: `cannot reload: the process is ${sent === 'gone' ? 'gone' : 'no longer the recorded one'}; run compctl plan again`}
  await ctx.journal.update((state) => {
    const entry = state.components[name]!
    entry.spec = ctx.step.spec
    entry.specHash = ctx.step.specHash
    if (ctx.step.assumes.watched) entry.watched = ctx.step.assumes.watched
  })
  return {ok: true, message: `sent ${signal} to pid ${identity!.pid}`}
}

/** Update: only the recorded spec changes; the process is left alone. */
export async function updateComponent(ctx: StepContext): Promise<StepResult> {
  await ctx.journal.update((state) => {
    const entry = state.components[ctx.step.name]
    if (!entry) return
    entry.spec = ctx.step.spec
    entry.specHash = ctx.step.specHash
    if (ctx.step.assumes.watched) entry.watched = ctx.step.assumes.watched
  })
  return {ok: true, message: 'state updated; process left alone'}
}

/**
 * Brings one component down as part of bringing the system down: stopped, kept in the state
 * as `stopped` with the reason, so the next plan starts it again.
 */
export async function bringDown(journal: StateJournal, name: string, reason: string, onProgress: (message: string) => void): Promise<void> {
  if (!journal.current.components[name]) return
  await stopRecorded(journal, name, onProgress)
  await journal.update((state) => {
    const entry = state.components[name]
    if (!entry) return
    entry.status = 'stopped'
    entry.pid = null
    entry.startTime = null
    entry.lastError = reason
    delete entry.pending
  })
}
