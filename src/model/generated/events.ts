/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */

/**
 * One line of `compctl apply --json` (NDJSON): an event of the run. The last line is a `summary`.
 */
export type CompctlEvent =
  | PlanEvent
  | StepStartedEvent
  | StepProgressEvent
  | StepOutputEvent
  | LockWaitingEvent
  | LockAcquiredEvent
  | StepDoneEvent
  | StepFailedEvent
  | StepSkippedEvent
  | InterruptEvent
  | SystemDownEvent
  | SummaryEvent
/**
 * ISO 8601 time of the event.
 */
export type Time = string

/**
 * First event: the plan about to run.
 */
export interface PlanEvent {
  type: 'plan'
  time: Time
  planId: string
  project: string
  steps: StepRef[]
}
export interface StepRef {
  id: string
  action: 'start' | 'stop' | 'restart' | 'reload' | 'update' | 'change' | 'move'
  type: 'component' | 'change'
  name: string
  kind?: 'core' | 'needed' | 'dispensable'
  waitsFor: string[]
  lock: string | null
  reason?: string
  batches?: string[][]
}
export interface StepStartedEvent {
  type: 'step_started'
  time: Time
  stepId: string
}
/**
 * What a running step is doing now: waiting for readiness, an attempt, a change's batch and target.
 */
export interface StepProgressEvent {
  type: 'step_progress'
  time: Time
  stepId: string
  message: string
  pid?: number
  attempt?: number
  /**
   * A change's batch number, from 1.
   */
  batch?: number
  target?: string
  phase?: string
}
export interface StepOutputEvent {
  type: 'step_output'
  time: Time
  stepId: string
  target?: string
  line: string
}
export interface LockWaitingEvent {
  type: 'lock_waiting'
  time: Time
  stepId: string
  lock: string
  holders: LockHolder[]
  /**
   * Place in the queue: 1 is next.
   */
  position: number
}
export interface LockHolder {
  id: string
  project?: string
  host?: string
  pid?: number
  since?: string
  step?: string
}
export interface LockAcquiredEvent {
  type: 'lock_acquired'
  time: Time
  stepId: string
  lock: string
}
export interface StepDoneEvent {
  type: 'step_done'
  time: Time
  stepId: string
  durationMs: number
  pid?: number
  message?: string
}
export interface StepFailedEvent {
  type: 'step_failed'
  time: Time
  stepId: string
  durationMs: number
  error: string
  /**
   * The last lines of the step's output.
   */
  tail?: string[]
}
export interface StepSkippedEvent {
  type: 'step_skipped'
  time: Time
  stepId: string
  reason: string
}
/**
 * Ctrl-C (or SIGTERM): count 1 lets running steps finish; count 2 kills them.
 */
export interface InterruptEvent {
  type: 'interrupt'
  time: Time
  count: number
  running: number
}
/**
 * A core (or needed) failure: every managed component is being stopped.
 */
export interface SystemDownEvent {
  type: 'system_down'
  time: Time
  reason: string
  stepId?: string
}
/**
 * Last event of a run.
 */
export interface SummaryEvent {
  type: 'summary'
  time: Time
  ok: boolean
  exitCode: number
  interrupted?: boolean
  systemDown?: boolean
  durationMs: number
  counts: {
    started: number
    stopped: number
    restarted: number
    reloaded: number
    updated: number
    changes: number
    /**
     * Records renamed by `moved:` (present only when there were some).
     */
    moved?: number
    failed: number
    skipped: number
  }
  errors?: string[]
}
