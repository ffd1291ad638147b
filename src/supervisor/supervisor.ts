import {resolve} from 'node:path'
import {loadConfig, type LoadedConfig} from '../config/load.js'
import {resolveInputs, type InputSources, type ResolvedConfig} from '../config/resolve.js'
import {secrets} from '../secrets/secrets.js'
import {formatProblem, UserError} from '../errors.js'
import {bringDown} from '../executor/component-steps.js'
import type {Emit} from '../executor/events.js'
import type {RunOutcome} from '../executor/executor.js'
import {policyLookup, rotationSettingsOf} from '../logs/policy.js'
import {RotationWatch} from '../logs/rotation-watch.js'
import type {Component} from '../model/generated/compctl.js'
import type {StepRef} from '../model/generated/events.js'
import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import type {ComponentState} from '../model/generated/state.js'
import type {PlanOptions} from '../planner/plan.js'
import type {ExitInfo} from '../process/launch.js'
import type {ProcessIdentity} from '../process/observe.js'
import {stopProcess} from '../process/stop.js'
import {markApplied, runPlan} from '../services/apply-service.js'
import {planOf} from '../services/plan-service.js'
import type {StateJournal} from '../state/journal.js'
import {monotonicMs} from '../util/clock.js'
import {durationMs, formatMs} from '../util/duration.js'
import {ADOPTED_CHECK_MS, ExitWatch, type WatchedProcess} from './exit-watch.js'
import {HealthMonitor, type HealthReport, type HealthTarget} from './health.js'
import {decideCrash, type CrashDecision, type CrashSeries} from './policy.js'

export interface SupervisorOptions {
  /** The desired-state file as the user named it: re-read on SIGHUP. */
  file: string
  /** Where variable values come from: read again with the file on SIGHUP. */
  inputs: InputSources
  /** The secret key of the state it holds, for the values read again on SIGHUP. */
  key: () => Promise<Buffer>
  config: ResolvedConfig
  journal: StateJournal
  emit: Emit
  parallelism?: number
  lockTimeoutMs?: number
  /** Shows a plan the file asks for (the first one and each SIGHUP's) before it runs. */
  onPlan?: (plan: CompctlPlan) => void
}

type LastExit = NonNullable<ComponentState['lastExit']>
type ComponentHealth = NonNullable<ComponentState['health']>

type Ending =
  | {kind: 'stop'}
  /** `alreadyDown`: a run's executor brought the system down itself. */
  | {kind: 'down'; reason: string; stepId?: string; alreadyDown: boolean}
  /** supervise itself failed: what runs is left running, as a crashed apply leaves it. */
  | {kind: 'error'; error: unknown}

/** Step ids of the happenings that are supervise's own, not a plan's. */
const superviseStepId = (name?: string): string => (name === undefined ? 'supervise' : `supervise.${name}`)

const STOP_TIMEOUT_MS = 10_000

function identityOf(recorded: ComponentState | undefined): ProcessIdentity | null {
  if (!recorded || typeof recorded.pid !== 'number' || typeof recorded.startTime !== 'number') return null
  return {pid: recorded.pid, startTime: recorded.startTime}
}

function stepRefOf(step: PlanStep): StepRef {
  return {id: step.id, action: step.action, type: step.type, name: step.name, ...(step.kind ? {kind: step.kind} : {}), waitsFor: step.waitsFor, lock: step.lock, reason: step.reason}
}

function rotationPolicies(config: LoadedConfig) {
  return policyLookup(rotationSettingsOf(config.spec))
}

/**
 * `compctl supervise` after its state lock is taken: applies the file, then keeps the system as
 * declared. Crashes are handled by kind (see policy.ts), `health` checks run periodically, SIGHUP
 * re-reads the file and applies it, SIGTERM/SIGINT stop everything. Runs of plans happen one at
 * a time; between them, the exit watch and the health checks look after what runs.
 */
export class Supervisor {
  private config: ResolvedConfig
  /** Runs of plans, one after another. */
  private queue: Promise<void> = Promise.resolve()
  private interruptRun: (() => void) | null = null
  /** Components the current run acts on: the watch leaves them to it. */
  private readonly inRun = new Set<string>()
  /** Components whose crash is being handled or whose restart waits for its backoff. */
  private readonly handling = new Set<string>()
  private readonly series = new Map<string, CrashSeries>()
  private readonly restartTimers = new Map<string, NodeJS.Timeout>()
  /** How each process this supervisor launched ended, as its exit event said (adopted ones are not our children). */
  private readonly exits = new Map<string, {pid: number; info: ExitInfo | null}>()
  private reloadQueued = false
  private ending: Ending | null = null
  private endRequested: () => void = () => {}
  private readonly ended = new Promise<void>((resolveEnded) => (this.endRequested = resolveEnded))
  private readonly watch: ExitWatch
  private readonly health: HealthMonitor
  private readonly rotation: RotationWatch

  constructor(private readonly options: SupervisorOptions) {
    this.config = options.config
    this.rotation = new RotationWatch({
      stateDir: options.config.stateDir,
      policyOf: rotationPolicies(options.config),
      onRotated: (rotated) => {
        if (rotated.lostBytes > 0) this.progress(undefined, `rotated ${rotated.log}; ${rotated.lostBytes} bytes written during the copy were lost`)
      },
      onFailure: (failure) => this.progress(undefined, `could not rotate ${failure.log}: ${failure.error}`),
    })
    this.watch = new ExitWatch(
      () => this.watched(),
      (gone) => this.onGone(gone),
    )
    this.health = new HealthMonitor({
      target: (name) => this.healthTarget(name),
      onFailure: (report) => {
        void this.recordHealth(report.name, {status: 'failing', failures: report.failures, limit: report.limit})
        this.onHealthFailure(report)
      },
      onRecovered: (name) => this.progress(name, 'health check holds again'),
      onPassed: (name) => void this.recordHealth(name, {status: 'passing'}),
    })
  }

  /** Applies the file, supervises until told to stop or the system goes down; returns the exit code. */
  async run(): Promise<number> {
    this.enqueue(async () => {
      const plan = await this.plan({destroy: false, targets: [], replace: [], refresh: true})
      if (plan.steps.length > 0) this.options.onPlan?.(plan)
      await this.runRound(plan)
      if (this.ending) return
      this.watch.start()
      this.syncHealth()
      this.rotation.start()
      const running = this.watched().length
      const checked = this.health.names()
      this.progress(
        undefined,
        `supervising ${running} running component${running === 1 ? '' : 's'} (exits noticed at once, or within ${formatMs(ADOPTED_CHECK_MS)} for processes an earlier apply started)` +
          `${checked.length > 0 ? `; health checks: ${checked.join(', ')}` : ''}. SIGHUP re-reads ${this.options.file}; SIGTERM or Ctrl-C stops everything.`,
      )
    })
    await this.ended
    await this.queue
    return this.finish()
  }

  /** SIGHUP: re-read the file and apply it once the current run is over. Several at once make one. */
  reload(): void {
    if (this.ending || this.reloadQueued) return
    this.reloadQueued = true
    this.progress(undefined, `SIGHUP: re-reading ${this.options.file}`)
    this.enqueue(() => this.reloadRound())
  }

  /** SIGTERM/SIGINT: stop everything. During a run, a first signal lets its running steps finish; a second kills them. */
  stop(): void {
    if (this.ending?.kind === 'stop') this.interruptRun?.()
    else this.requestEnd({kind: 'stop'})
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.ending) return
      try {
        await work()
      } catch (error) {
        this.requestEnd({kind: 'error', error})
      }
    })
  }

  private requestEnd(ending: Ending): void {
    if (this.ending) return
    this.ending = ending
    for (const timer of this.restartTimers.values()) clearTimeout(timer)
    this.restartTimers.clear()
    this.watch.stop()
    this.health.stop()
    this.interruptRun?.()
    this.endRequested()
  }

  private progress(name: string | undefined, message: string): void {
    this.options.emit({type: 'step_progress', stepId: superviseStepId(name), message})
  }

  /** A plan of `config` (by default the file as last applied) against the journal's state. */
  private async plan(options: PlanOptions, config: ResolvedConfig = this.config): Promise<CompctlPlan> {
    return planOf(config, this.options.journal.current, options)
  }

  /** One plan through the executor; what it acts on is left to it meanwhile. */
  private async runRound(plan: CompctlPlan, interruptible = true): Promise<RunOutcome> {
    for (const step of plan.steps) if (step.type === 'component') this.inRun.add(step.name)
    let outcome: RunOutcome
    try {
      outcome = await runPlan({
        plan,
        journal: this.options.journal,
        emit: this.options.emit,
        ...(this.options.parallelism !== undefined ? {parallelism: this.options.parallelism} : {}),
        ...(this.options.lockTimeoutMs !== undefined ? {lockTimeoutMs: this.options.lockTimeoutMs} : {}),
        onLaunched: (name, launched) => {
          const exit: {pid: number; info: ExitInfo | null} = {pid: launched.pid, info: null}
          this.exits.set(name, exit)
          void launched.exited.then((info) => (exit.info = info))
        },
        beforeFirstStep: async () => {
          if (plan.steps.length > 0) await this.options.journal.update(markApplied)
        },
        connectInterrupt: (interrupt) => {
          if (!interruptible) return () => {}
          this.interruptRun = interrupt
          return () => (this.interruptRun = null)
        },
      })
    } finally {
      this.inRun.clear()
    }
    // The executor brings the system down itself when a core or needed component fails to start.
    if (outcome.summary.systemDown) this.requestEnd({kind: 'down', reason: outcome.summary.errors?.[0] ?? 'a start failed', alreadyDown: true})
    if (!this.ending) {
      this.watch.check()
      this.syncHealth()
    }
    return outcome
  }

  /** Running components nobody else is acting on: what the exit watch looks after. */
  private watched(): WatchedProcess[] {
    const out: WatchedProcess[] = []
    for (const [name, recorded] of Object.entries(this.options.journal.current.components)) {
      if (recorded.status !== 'running' || this.inRun.has(name) || this.handling.has(name)) continue
      const identity = identityOf(recorded)
      if (identity) out.push({name, identity, child: this.exits.get(name)?.pid === identity.pid})
    }
    return out
  }

  private syncHealth(): void {
    const declared = this.config.spec.components ?? {}
    for (const name of this.health.names()) if (!declared[name]?.health) this.health.forget(name)
    const watchedNow = new Set(this.health.names())
    for (const [name, spec] of Object.entries(declared)) if (spec.health && !watchedNow.has(name)) this.health.watch(name, spec.health)
  }

  private healthTarget(name: string): HealthTarget | null {
    const spec = this.config.spec.components?.[name]
    const recorded = this.options.journal.current.components[name]
    const identity = identityOf(recorded)
    if (!spec?.health || !identity || recorded!.status !== 'running' || this.inRun.has(name) || this.handling.has(name) || this.ending) return null
    const {health, env, cwd} = secrets.reveal({health: spec.health, env: spec.env, cwd: spec.cwd})
    return {name, check: health, identity, place: {cwd: resolve(this.config.baseDir, cwd ?? '.'), ...(env ? {env} : {})}}
  }

  /** For `status --watch`: written to the state only when it differs from what is recorded. */
  private async recordHealth(name: string, health: Omit<ComponentHealth, 'at'>): Promise<void> {
    const recorded = this.options.journal.current.components[name]?.health
    if (recorded && recorded.status === health.status && recorded.failures === health.failures) return
    await this.options.journal
      .update((state) => {
        const entry = state.components[name]
        if (entry?.status === 'running') entry.health = {...health, at: new Date().toISOString()}
      })
      .catch((error: Error) => this.progress(name, `could not record its health in the state: ${error.message}`))
  }

  private onHealthFailure(report: HealthReport): void {
    const {name, failures, limit, reason} = report
    this.progress(name, `health check failed (${failures} of ${limit} in a row): ${reason}`)
    if (failures < limit || this.healthTarget(name) === null) return
    void this.handleCrash(name, report.identity, {health: `failed its health check ${limit} time${limit === 1 ? '' : 's'} in a row (last: ${reason})`})
  }

  private onGone(gone: WatchedProcess): void {
    if (this.handling.has(gone.name) || this.ending) return
    void this.handleCrash(gone.name, gone.identity, {})
  }

  /**
   * A running component ended (or failed its health check: it is stopped first). Records how,
   * then restarts it, gives up on it or brings the system down, by its kind.
   */
  private async handleCrash(name: string, identity: ProcessIdentity, cause: {health?: string}): Promise<void> {
    this.handling.add(name)
    const {journal} = this.options
    const recorded = journal.current.components[name]
    if (!recorded) return void this.handling.delete(name)
    const spec = recorded.spec as unknown as Component
    const stopSignal = (spec.stop?.signal ?? 'SIGTERM') as NodeJS.Signals
    // Stops a failing one; for one that exited, ends what its group left running.
    const stopped = await stopProcess(identity, {signal: stopSignal, timeoutMs: durationMs(spec.stop?.timeout, STOP_TIMEOUT_MS)})
    const endedAt = Date.now()
    if (this.ending) return
    // A run may have started it again meanwhile (a SIGHUP): that process is not the one that ended.
    const isSame = (entry: ComponentState | undefined) => entry?.pid === identity.pid && entry.startTime === identity.startTime
    if (!isSame(journal.current.components[name])) return void this.handling.delete(name)
    const exit = this.exits.get(name)
    const seen = exit?.pid === identity.pid ? exit.info : null
    const lastExit: LastExit = cause.health
      ? {code: null, signal: stopped.outcome === 'killed' ? 'SIGKILL' : stopped.outcome === 'stopped' ? stopSignal : null, at: new Date(endedAt).toISOString()}
      : {code: seen?.code ?? null, signal: seen?.signal ?? null, at: new Date(endedAt).toISOString()}
    const startedAt = recorded.startedAt ? Date.parse(recorded.startedAt) : NaN
    const ranMs = Number.isFinite(startedAt) ? Math.max(0, endedAt - startedAt) : Number.POSITIVE_INFINITY
    const how = cause.health ?? (stopped.outcome === 'not-ours' ? `ended (pid ${identity.pid} now belongs to another process)` : `exited (pid ${identity.pid})`)
    const series = this.series.get(name) ?? {restarts: 0}
    const decision = decideCrash({name, spec, ranMs, how, series})
    await journal.update((state) => {
      const entry = state.components[name]
      if (!entry) return
      entry.status = 'failed'
      entry.pid = null
      entry.startTime = null
      entry.lastExit = lastExit
      entry.lastError = decision.why
      entry.health = null
    })
    this.act(name, decision, Number.isFinite(ranMs) ? ranMs : 0)
  }

  private act(name: string, decision: CrashDecision, ranMs: number): void {
    const stepId = superviseStepId(name)
    if (decision.action === 'system_down') {
      this.options.emit({type: 'step_failed', stepId, durationMs: ranMs, error: decision.why})
      this.requestEnd({kind: 'down', reason: decision.why, stepId, alreadyDown: false})
      return
    }
    if (decision.action === 'give_up') {
      this.handling.delete(name)
      this.options.emit({type: 'step_failed', stepId, durationMs: ranMs, error: `${decision.why}; left failed until the file is applied again (SIGHUP)`})
      return
    }
    this.series.set(name, {restarts: decision.restart})
    const which = decision.limit === null ? `restart ${decision.restart}` : `restart ${decision.restart} of ${decision.limit}`
    this.progress(name, `${decision.why}; ${which} in ${formatMs(decision.delayMs)}`)
    const timer = setTimeout(() => {
      this.restartTimers.delete(name)
      this.enqueue(() => this.restartRound(name, `${which} after it ${decision.why}`))
    }, decision.delayMs)
    this.restartTimers.set(name, timer)
  }

  /** Starts a crashed component again: a plan of one step, from the file as last applied. */
  private async restartRound(name: string, reason: string): Promise<void> {
    let full: CompctlPlan
    try {
      full = await this.plan({destroy: false, targets: [name], replace: [], refresh: true})
    } catch (error) {
      // An input that cannot be read now (a watched file replaced by a FIFO): reported, and the others run on.
      if (!(error instanceof UserError)) throw error
      this.handling.delete(name)
      this.options.emit({type: 'step_failed', stepId: superviseStepId(name), durationMs: 0, error: `it cannot be restarted: ${error.lines.join(' ')}; left failed until the file is applied again (SIGHUP)`})
      return
    }
    const step = full.steps.find((s) => s.type === 'component' && s.name === name)
    if (!step || (step.action !== 'start' && step.action !== 'restart')) {
      this.handling.delete(name)
      return
    }
    const plan: CompctlPlan = {
      ...full,
      steps: [{...step, waitsFor: [], reason}],
      summary: {start: 0, stop: 0, restart: 0, reload: 0, update: 0, change: 0, total: 1, [step.action]: 1},
    }
    await this.options.journal.update((state) => {
      const entry = state.components[name]
      if (entry) entry.restarts = (entry.restarts ?? 0) + 1
    })
    this.handling.delete(name)
    const outcome = await this.runRound(plan)
    if (outcome.exitCode !== 0 && !this.ending)
      this.options.emit({type: 'step_failed', stepId: superviseStepId(name), durationMs: outcome.summary.durationMs, error: `its restart failed (${outcome.summary.errors?.[0] ?? 'see above'}); left failed until the file is applied again (SIGHUP)`})
  }

  /** SIGHUP: a valid file is planned and applied; an invalid one is reported and nothing changes. */
  private async reloadRound(): Promise<void> {
    this.reloadQueued = false
    const began = monotonicMs()
    const fail = (error: string, lines: string[] = []) =>
      this.options.emit({type: 'step_failed', stepId: superviseStepId('reload'), durationMs: monotonicMs() - began, error, ...(lines.length > 0 ? {tail: lines} : {})})
    const failWith = (error: unknown, why: string) => {
      if (!(error instanceof UserError)) throw error
      return fail(`${this.options.file} ${why}; the running system is left alone`, [...error.lines, ...(error.hint ? [error.hint] : [])])
    }
    let loaded
    let next: ResolvedConfig
    try {
      loaded = await loadConfig(this.options.file)
      if (!loaded.ok) {
        const count = loaded.problems.length
        return fail(`${this.options.file} is invalid (${count} problem${count === 1 ? '' : 's'}); the running system is left alone`, loaded.problems.map(formatProblem))
      }
      next = await resolveInputs(loaded.config, this.options.inputs, {requireValues: true, key: this.options.key})
    } catch (error) {
      return failWith(error, 'cannot be read')
    }
    if (next.stateDir !== this.config.stateDir)
      return fail(`${this.options.file}: settings.stateDir now names ${next.stateDir}, not ${this.config.stateDir}; the running system is left alone (stop supervise and start it again to move the state)`)
    let plan: CompctlPlan
    try {
      plan = await this.plan({destroy: false, targets: [], replace: [], refresh: true}, next)
    } catch (error) {
      return failWith(error, 'cannot be planned')
    }
    this.config = next
    this.rotation.setPolicies(rotationPolicies(next))
    for (const step of plan.steps) {
      if (step.type !== 'component') continue
      // The file is applied afresh: a waiting restart, a crash series and a given-up component start over.
      clearTimeout(this.restartTimers.get(step.name))
      this.restartTimers.delete(step.name)
      this.handling.delete(step.name)
      this.series.delete(step.name)
    }
    if (plan.steps.length > 0) this.options.onPlan?.(plan)
    await this.runRound(plan)
  }

  private async finish(): Promise<number> {
    const ending = this.ending!
    await this.rotation.stop()
    if (ending.kind === 'error') throw ending.error
    if (ending.kind === 'stop') {
      const plan = await this.plan({destroy: true, targets: [], replace: [], refresh: true})
      const outcome = await this.runRound(plan, false)
      return outcome.exitCode === 0 ? 0 : 1
    }
    if (!ending.alreadyDown) await this.bringSystemDown(ending.reason, ending.stepId)
    return 1
  }

  /** Every running component stopped, dependents first (a destroy plan's order); the state keeps them as stopped, with the reason. */
  private async bringSystemDown(reason: string, stepId: string | undefined): Promise<void> {
    const {emit, journal} = this.options
    const began = monotonicMs()
    emit({type: 'system_down', reason, ...(stepId ? {stepId} : {})})
    const order = await this.plan({destroy: true, targets: [], replace: [], refresh: false})
    const steps = order.steps
      .filter((step) => ['running', 'starting'].includes(journal.current.components[step.name]?.status ?? ''))
      .map((step) => ({...step, reason: `system down: ${reason}`}))
    emit({type: 'plan', planId: order.id, project: order.project, steps: steps.map(stepRefOf)})
    for (const step of steps) {
      const stepBegan = monotonicMs()
      emit({type: 'step_started', stepId: step.id})
      await bringDown(journal, step.name, `system brought down: ${reason}`, (message) => emit({type: 'step_progress', stepId: step.id, message}))
      emit({type: 'step_done', stepId: step.id, durationMs: monotonicMs() - stepBegan})
    }
    const error = `system brought down: ${reason}`
    emit({
      type: 'summary',
      ok: false,
      exitCode: 1,
      interrupted: false,
      systemDown: true,
      durationMs: monotonicMs() - began,
      counts: {started: 0, stopped: steps.length, restarted: 0, reloaded: 0, updated: 0, changes: 0, failed: 0, skipped: 0},
      errors: [error],
    })
  }
}
