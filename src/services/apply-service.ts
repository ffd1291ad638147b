import {hostname} from 'node:os'
import {loadResolved, type InputSources} from '../config/resolve.js'
import {formatProblem, UserError} from '../errors.js'
import {eventEmitter, type Emit} from '../executor/events.js'
import {Executor, type RunOutcome} from '../executor/executor.js'
import type {LockBackend} from '../locks/types.js'
import {policyLookup, rotationSettingsOf, type RotationSettings} from '../logs/policy.js'
import {rotateLogs} from '../logs/rotate.js'
import type {Component, LogRotation} from '../model/generated/compctl.js'
import type {CompctlPlan} from '../model/generated/plan.js'
import type {CompctlState} from '../model/generated/state.js'
import {adoptLaunched} from '../process/adopt.js'
import type {LaunchedProcess} from '../process/launch.js'
import {readStartTime} from '../process/observe.js'
import {StateJournal} from '../state/journal.js'
import {openLockedState, secretKeyOf, withInstance} from '../state/open.js'
import {newState, type StateStore} from '../state/store.js'
import type {ApplyView} from '../views/apply-view.js'
import {planFor} from './plan-service.js'
import {readSavedPlan, savedPlanConfig} from './saved-plan.js'
import {staleReasons} from './stale.js'

export interface ApplyRequest {
  operation: 'apply' | 'destroy'
  file: string
  /** Where variable values come from; a saved plan made with variables needs them again. */
  inputs: InputSources
  /** A saved plan to run as written; otherwise plan now. */
  planFile?: string
  destroy: boolean
  targets: string[]
  replace: string[]
  refresh: boolean
  autoApprove: boolean
  /** Whether a person can answer the confirmation prompt. */
  interactive: boolean
  parallelism?: number
  /** How long to wait for the state lock; 0 fails at once. */
  stateLockTimeoutMs: number
  /** How long a step waits for its named lock; unbounded when absent. */
  lockTimeoutMs?: number
  /** Which instance's state (default: settings.instance, else the host name). */
  instance?: string
  /** Messages for the operator outside the run's events (e.g. a stale state lock taken over). */
  onNote?: (message: string) => void
}

/**
 * Reads the state, recording processes launched by an apply that died before recording them;
 * they are then planned like any other. Returns the state as it now is.
 */
export async function adoptOrphans(store: StateStore): Promise<CompctlState | null> {
  const state = await store.read()
  if (state && adoptLaunched(state).length > 0) return store.write(state)
  return state
}

/** A journal over the store, starting from `state` (a new state for `project` when there is none yet). */
export function openJournal(store: StateStore, state: CompctlState | null, project: string): StateJournal {
  return new StateJournal(store, state ?? newState(project))
}

export interface PlanRun {
  plan: CompctlPlan
  journal: StateJournal
  emit: Emit
  /** Steps at once; default settings.parallelism, else 4. */
  parallelism?: number
  lockTimeoutMs?: number
  /**
   * Connects the run's interrupt (Ctrl-C semantics: the first lets running steps finish, the
   * second kills them) to whatever should trigger it; returns the disconnect.
   */
  connectInterrupt: (interrupt: () => void) => () => void
  /** Each process a step launches, with the promise of its exit (for supervise). */
  onLaunched?: (name: string, launched: LaunchedProcess) => void
  /** Called once everything the run needs is reachable (the lock backend), just before the first step. */
  beforeFirstStep?: () => Promise<void>
}

/** How many applied plan ids the state keeps, to refuse a saved plan applied twice. */
const APPLIED_PLANS_KEPT = 100
const DEFAULT_PARALLELISM = 4

/** One plan run to its end with the executor, the named locks it needs open meanwhile. The caller holds the state lock. */
export async function runPlan(run: PlanRun): Promise<RunOutcome> {
  const {plan} = run
  let locks: LockBackend | null = null
  try {
    if (plan.steps.some((s) => s.lock)) {
      const {openLockBackend} = await import('../locks/index.js')
      locks = await openLockBackend((plan.settings as {locks?: Parameters<typeof openLockBackend>[0]}).locks, plan.project, {baseDir: plan.source.baseDir})
    }
    const settings = plan.settings as {parallelism?: number}
    const executor = new Executor({
      plan,
      journal: run.journal,
      emit: run.emit,
      parallelism: run.parallelism ?? settings.parallelism ?? DEFAULT_PARALLELISM,
      locks,
      lockOwner: {project: plan.project, host: hostname(), pid: process.pid, startTime: readStartTime(process.pid)},
      ...(run.lockTimeoutMs !== undefined ? {lockTimeoutMs: run.lockTimeoutMs} : {}),
      ...(run.onLaunched ? {onLaunched: run.onLaunched} : {}),
    })
    await run.beforeFirstStep?.()
    const disconnect = run.connectInterrupt(() => executor.interrupt())
    try {
      return await executor.run()
    } finally {
      disconnect()
    }
  } finally {
    await locks?.close().catch(() => undefined)
  }
}

/** Records which host applied the state, and when: `status --all` shows it. */
export function markApplied(state: CompctlState): void {
  state.host = hostname()
  state.appliedAt = new Date().toISOString()
}

/** The components' specs as last applied, for a saved plan's run (there is no file to read them from). */
function recordedSpecs(state: CompctlState): Record<string, Component> {
  return Object.fromEntries(Object.entries(state.components).map(([name, recorded]) => [name, recorded.spec as unknown as Component]))
}

/** The end of every apply and destroy: logs past their maxSize are rotated; one that cannot be is reported, and the run's outcome stands. */
export async function rotateAfterRun(stateDir: string, rotation: RotationSettings, onNote?: (message: string) => void): Promise<void> {
  const {failed} = await rotateLogs(stateDir, policyLookup(rotation))
  for (const failure of failed) onNote?.(`compctl: could not rotate ${failure.log}: ${failure.error}`)
}

/** SIGINT and SIGTERM call `handler` while connected. */
export function onTerminationSignals(handler: () => void): () => void {
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

/**
 * `compctl apply` and `destroy`: takes the state lock, plans (or checks a saved plan is still
 * valid), asks, runs the plan, and returns the exit code. The view shows everything.
 */
export async function applyPlan(request: ApplyRequest, view: ApplyView): Promise<number> {
  if (!request.planFile && !request.autoApprove && !request.interactive)
    throw new UserError(`compctl ${request.operation}: there is no terminal to ask for confirmation`, {
      hint: `Pass --auto-approve to ${request.operation} without asking, or apply a saved plan (compctl plan --out FILE; compctl apply FILE).`,
    })

  const saved = request.planFile ? await readSavedPlan(request.planFile) : null
  const key = secretKeyOf({instance: request.instance})
  const config = saved ? null : withInstance(await loadResolved(request.file, request.inputs, key), request.instance)
  // The values a saved plan was made with are given again, and must be the same (its markers stand for them, keyed by its state's key).
  const savedInputs = saved?.inputs ? (await loadResolved(saved.source.file, request.inputs, () => key(savedPlanConfig(saved)))).inputs : undefined
  for (const warning of config?.warnings ?? []) request.onNote?.(formatProblem(warning))
  const locked = await openLockedState(saved ? savedPlanConfig(saved) : config!, {
    operation: request.operation,
    timeoutMs: request.stateLockTimeoutMs,
    instance: request.instance,
    onNote: request.onNote,
  })
  try {
    const {store} = locked.backend
    const state = await adoptOrphans(store)
    let plan: CompctlPlan
    if (saved) {
      const reasons = await staleReasons(saved, state, savedInputs)
      if (reasons.length > 0)
        throw new UserError([`${request.planFile}: the saved plan is stale; nothing was run:`, ...reasons.map((r) => `  - ${r}`)], {
          hint: 'Make a new plan: compctl plan --out FILE',
        })
      plan = saved
    } else {
      plan = (await planFor(config!, state, {destroy: request.destroy, targets: request.targets, replace: request.replace, refresh: request.refresh})).plan
    }

    if (plan.steps.length > 0 && !saved && !request.autoApprove && !(await view.confirm(plan)))
      throw new UserError(`${request.operation === 'destroy' ? 'Destroy' : 'Apply'} cancelled.`)

    const journal = openJournal(store, state, plan.project)
    // Recorded once the run can begin: a plan refused for an unreachable etcd has not been applied.
    const recordPlan = async () => {
      if (plan.steps.length > 0 || saved)
        await journal.update((s) => {
          s.appliedPlans = [...(s.appliedPlans ?? []), plan.id].slice(-APPLIED_PLANS_KEPT)
          markApplied(s)
        })
    }

    const outcome = await runPlan({
      plan,
      journal,
      emit: eventEmitter([(event) => view.onEvent(event)]),
      ...(request.parallelism !== undefined ? {parallelism: request.parallelism} : {}),
      ...(request.lockTimeoutMs !== undefined ? {lockTimeoutMs: request.lockTimeoutMs} : {}),
      connectInterrupt: onTerminationSignals,
      beforeFirstStep: recordPlan,
    })
    const rotation: RotationSettings = config
      ? rotationSettingsOf(config.spec)
      : {settings: (plan.settings as {logs?: LogRotation}).logs, components: recordedSpecs(journal.current)}
    await rotateAfterRun(plan.source.stateDir, rotation, request.onNote)
    if (journal.failure)
      throw new UserError(
        `${request.operation} stopped: ${journal.failure.message.split('\n')[0]}; no new step was started and no process it started is left unrecorded. Run it again once the state can be written: it converges.`,
      )
    return outcome.exitCode
  } finally {
    await locked.release()
    await view.close()
  }
}
