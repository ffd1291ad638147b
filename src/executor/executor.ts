import {setMaxListeners} from 'node:events'
import type {SummaryEvent} from '../model/generated/events.js'
import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import type {HeldLock, LockBackend, LockOwner} from '../locks/types.js'
import type {LaunchedProcess} from '../process/launch.js'
import {buildPlan} from '../planner/plan.js'
import type {StateJournal} from '../state/journal.js'
import {monotonicMs} from '../util/clock.js'
import {runChangeStep} from './change-step.js'
import {moveRecord} from './move-step.js'
import {bringDown, reloadComponent, restartComponent, startComponent, stopComponent, updateComponent} from './component-steps.js'
import type {Emit} from './events.js'
import type {StepContext, StepResult} from './step-context.js'

export interface ExecutorOptions {
  plan: CompctlPlan
  journal: StateJournal
  emit: Emit
  /** Steps running at once, when the order allows. */
  parallelism: number
  /** Serves the plan's named locks; null when no step takes one. */
  locks: LockBackend | null
  lockOwner: Omit<LockOwner, 'step'>
  /** Bound on each named-lock wait; none when absent. */
  lockTimeoutMs?: number
  /** Each process a step launches, with the promise of its exit. */
  onLaunched?: (name: string, launched: LaunchedProcess) => void
}

export interface RunOutcome {
  exitCode: number
  summary: Omit<SummaryEvent, 'type' | 'time'>
}

type StepStatus = 'waiting' | 'running' | 'done' | 'failed' | 'skipped'

const COUNTERS: Record<PlanStep['action'], keyof SummaryEvent['counts']> = {
  start: 'started',
  stop: 'stopped',
  restart: 'restarted',
  reload: 'reloaded',
  update: 'updated',
  change: 'changes',
  move: 'moved',
}

function actionOf(step: PlanStep): (ctx: StepContext) => Promise<StepResult> {
  if (step.action === 'move') return moveRecord
  if (step.type === 'change') return step.action === 'update' ? updateChange : runChangeStep
  return {start: startComponent, stop: stopComponent, restart: restartComponent, reload: reloadComponent, update: updateComponent, change: runChangeStep}[step.action]
}

async function updateChange(ctx: StepContext): Promise<StepResult> {
  await ctx.journal.update((state) => {
    const entry = state.changes[ctx.step.name]
    if (!entry) return
    entry.spec = ctx.step.spec
    entry.specHash = ctx.step.specHash
  })
  return {ok: true, message: 'state updated; the change does not run again'}
}

/**
 * Walks a plan's steps: a step begins once every step it waits for is done, at most
 * `parallelism` at once, in plan order. It never prints: everything it does is an event.
 */
export class Executor {
  private readonly status = new Map<string, StepStatus>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly kill = new AbortController()
  /** Aborted by the first interrupt: a step still waiting for its lock has not begun, so it gives up at once. */
  private readonly lockWaits = new AbortController()
  private readonly errors: string[] = []
  /** Why no new step may begin (interrupt, system down, a change's abort), or null. */
  private haltReason: string | null = null
  private systemDownReason: string | null = null
  private interrupts = 0

  constructor(private readonly options: ExecutorOptions) {
    for (const step of options.plan.steps) this.status.set(step.id, 'waiting')
    // Each running step listens for the kill: up to `parallelism` listeners is expected, not a leak.
    setMaxListeners(options.parallelism + 10, this.kill.signal)
    setMaxListeners(0, this.lockWaits.signal)
  }

  /** Ctrl-C: the first lets running steps finish and begins no new one; the second kills them. */
  interrupt(): void {
    this.interrupts++
    this.options.emit({type: 'interrupt', count: this.interrupts, running: this.running.size})
    if (this.interrupts === 1) {
      this.haltReason ??= 'interrupted'
      this.lockWaits.abort()
    } else this.kill.abort()
  }

  async run(): Promise<RunOutcome> {
    const {plan, emit} = this.options
    const began = monotonicMs()
    emit({
      type: 'plan',
      planId: plan.id,
      project: plan.project,
      steps: plan.steps.map((s) => ({
        id: s.id,
        action: s.action,
        type: s.type,
        name: s.name,
        ...(s.kind ? {kind: s.kind} : {}),
        waitsFor: s.waitsFor,
        lock: s.lock,
        reason: s.reason,
        ...(s.batches ? {batches: s.batches} : {}),
      })),
    })
    for (;;) {
      this.schedule()
      if (this.running.size === 0) break
      await Promise.race(this.running.values())
    }
    for (const step of plan.steps) if (this.status.get(step.id) === 'waiting') this.skip(step, this.haltReason ?? 'not reached')
    if (this.systemDownReason) await this.bringSystemDown(this.systemDownReason)
    return this.finish(monotonicMs() - began)
  }

  private schedule(): void {
    const {plan, parallelism} = this.options
    for (const step of plan.steps) {
      const failure = this.options.journal.failure
      if (failure) this.haltReason ??= `the state can no longer be recorded (${failure.message})`
      if (this.haltReason !== null || this.running.size >= parallelism) return
      if (this.status.get(step.id) !== 'waiting') continue
      const blocked = step.waitsFor.find((id) => this.status.get(id) === 'failed' || this.status.get(id) === 'skipped')
      if (blocked) {
        this.skip(step, `waits for ${blocked}, which ${this.status.get(blocked) === 'failed' ? 'failed' : 'was skipped'}`)
        continue
      }
      if (step.waitsFor.every((id) => this.status.get(id) === 'done')) {
        this.status.set(step.id, 'running')
        const run = this.execute(step).finally(() => this.running.delete(step.id))
        this.running.set(step.id, run)
      }
    }
  }

  private skip(step: PlanStep, reason: string): void {
    this.status.set(step.id, 'skipped')
    this.options.emit({type: 'step_skipped', stepId: step.id, reason})
  }

  private async execute(step: PlanStep): Promise<void> {
    const {emit, journal, plan} = this.options
    const began = monotonicMs()
    emit({type: 'step_started', stepId: step.id})
    const stepAbort = new AbortController()
    const onKill = () => stepAbort.abort()
    this.kill.signal.addEventListener('abort', onKill)
    let held: HeldLock | null = null
    let lostLock: string | null = null
    let result: StepResult
    try {
      held = await this.takeLock(step, AbortSignal.any([stepAbort.signal, this.lockWaits.signal]))
      void held?.lost.then((reason) => {
        lostLock = reason
        stepAbort.abort()
      })
      const ctx: StepContext = {
        step,
        plan,
        journal,
        signal: stepAbort.signal,
        progress: (message, extra) => emit({type: 'step_progress', stepId: step.id, message, ...extra}),
        output: (line, target) => emit({type: 'step_output', stepId: step.id, line, ...(target ? {target} : {})}),
        launched: (process) => this.options.onLaunched?.(step.name, process),
      }
      result = await actionOf(step)(ctx)
      if (lostLock !== null) result = {ok: false, error: `lost lock ${step.lock}: ${lostLock}`}
    } catch (error) {
      result = {ok: false, error: (error as Error).message}
    } finally {
      this.kill.signal.removeEventListener('abort', onKill)
      await held?.release().catch(() => undefined)
    }
    const durationMs = monotonicMs() - began
    if (result.ok) {
      this.status.set(step.id, 'done')
      emit({type: 'step_done', stepId: step.id, durationMs, ...(result.pid ? {pid: result.pid} : {}), ...(result.message ? {message: result.message} : {})})
      return
    }
    this.status.set(step.id, 'failed')
    this.errors.push(`${step.id}: ${result.error}`)
    emit({type: 'step_failed', stepId: step.id, durationMs, error: result.error, ...(result.tail ? {tail: result.tail} : {})})
    if (result.startFailure && (step.kind === 'core' || step.kind === 'needed')) {
      this.systemDownReason ??= `${step.kind} component ${step.name} failed to start: ${result.error}`
      this.haltReason ??= 'the system is going down'
      emit({type: 'system_down', stepId: step.id, reason: this.systemDownReason})
    } else if (result.abortApply) {
      this.haltReason ??= `change ${step.name} failed with onFailure: abort`
    }
  }

  private async takeLock(step: PlanStep, signal: AbortSignal): Promise<HeldLock | null> {
    const {locks, plan, emit, lockOwner, lockTimeoutMs} = this.options
    if (!step.lock || !locks) return null
    const declared = (plan.locks as Record<string, {holders?: number}>)[step.lock]
    const held = await locks.acquire({
      lock: step.lock,
      holders: declared?.holders ?? 1,
      owner: {...lockOwner, step: step.id},
      signal,
      ...(lockTimeoutMs !== undefined ? {timeoutMs: lockTimeoutMs} : {}),
      onWait: ({holders, position}) =>
        emit({
          type: 'lock_waiting',
          stepId: step.id,
          lock: step.lock!,
          position,
          holders: holders.map((h) => ({id: h.id, project: h.project, host: h.host, pid: h.pid, since: h.since, ...(h.step ? {step: h.step} : {})})),
        }),
    })
    emit({type: 'lock_acquired', stepId: step.id, lock: step.lock})
    return held
  }

  /** Every managed component stopped, dependents first: the order a destroy plan has. */
  private async bringSystemDown(reason: string): Promise<void> {
    const {journal, plan, emit} = this.options
    const down = buildPlan({
      source: plan.source,
      project: plan.project,
      spec: {version: 1},
      state: journal.current,
      observed: {},
      watched: {},
      options: {destroy: true, targets: [], replace: [], refresh: false},
    })
    const reporter = plan.steps.find((s) => this.status.get(s.id) === 'failed')?.id
    for (const step of down.steps) {
      const recorded = journal.current.components[step.name]
      if (!recorded || (recorded.status !== 'running' && recorded.status !== 'starting')) continue
      const progress = (message: string) => reporter && emit({type: 'step_progress', stepId: reporter, message: `system down: ${step.name}: ${message}`})
      progress('stopping')
      await bringDown(journal, step.name, `system brought down: ${reason}`, progress)
    }
  }

  private finish(durationMs: number): RunOutcome {
    const counts: SummaryEvent['counts'] = {started: 0, stopped: 0, restarted: 0, reloaded: 0, updated: 0, changes: 0, failed: 0, skipped: 0}
    for (const step of this.options.plan.steps) {
      const status = this.status.get(step.id)
      if (status === 'done') counts[COUNTERS[step.action]] = (counts[COUNTERS[step.action]] ?? 0) + 1
      else if (status === 'failed') counts.failed++
      else if (status === 'skipped') counts.skipped++
    }
    const interrupted = this.interrupts > 0
    const systemDown = this.systemDownReason !== null
    const exitCode = interrupted ? 130 : counts.failed > 0 || counts.skipped > 0 || systemDown ? 1 : 0
    if (systemDown) this.errors.unshift(`system brought down: ${this.systemDownReason}`)
    const summary = {ok: exitCode === 0, exitCode, interrupted, systemDown, durationMs, counts, errors: this.errors}
    this.options.emit({type: 'summary', ...summary})
    return {exitCode, summary}
  }
}
