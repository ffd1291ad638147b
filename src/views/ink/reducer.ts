import type {CompctlEvent, LockHolder, StepRef, SummaryEvent} from '../../model/generated/events.js'
import {listGet, listOf, listSet, type ImmutableList} from './immutable-list.js'

/** Where a step is, as the terminal shows it. */
export type RowState = 'waiting' | 'locked' | 'running' | 'done' | 'failed' | 'skipped'

/** How many output lines a step keeps, for the tail shown when it fails. */
export const TAIL_LINES = 5

export interface StepRow {
  id: string
  action: StepRef['action']
  type: StepRef['type']
  name: string
  kind?: StepRef['kind']
  lock: string | null
  waitsFor: readonly string[]
  /** How many batches a change runs its targets in (0 for a component). */
  batchCount: number
  state: RowState
  /** Clock time (ms) the step last began running: its elapsed time counts from here. */
  runningSince?: number
  lockWait?: {lock: string; holders: readonly LockHolder[]; position: number; since: number}
  progress?: {message: string; batch?: number; target?: string; phase?: string; attempt?: number}
  durationMs?: number
  /** What a done step reported, or why a step failed, or why it was skipped. */
  message?: string
  /** The last lines of a failed step's output. */
  tail: readonly string[]
  recentOutput: readonly string[]
  /** Order in which steps finished, to keep the latest ones on screen. */
  finishedOrder?: number
}

/** Everything the terminal shows of a run, built only from the executor's events. */
export interface ViewModel {
  project?: string
  planId?: string
  rows: ImmutableList<StepRow>
  /** Step id → position in `rows`; built once per plan and never changed. */
  index: ReadonlyMap<string, number>
  counts: Readonly<Record<RowState, number>>
  /** Clock time (ms) of the plan event. */
  startedAt?: number
  finishedCount: number
  interrupt?: {count: number; running: number}
  systemDown?: {reason: string; stepId?: string}
  summary?: SummaryEvent
  endedAt?: number
  /** The latest messages about no step of the plan (supervise: crashes, restarts, SIGHUP), newest last. */
  notes: readonly string[]
}

/** How many notes the view keeps. */
export const NOTES_KEPT = 3

const NO_COUNTS: Record<RowState, number> = {waiting: 0, locked: 0, running: 0, done: 0, failed: 0, skipped: 0}

export function emptyModel(): ViewModel {
  return {rows: listOf([]), index: new Map(), counts: NO_COUNTS, finishedCount: 0, notes: []}
}

/**
 * The next view model after one event. Pure (the model passed in is left as it was) and O(1)
 * in the plan's size except for the `plan` event itself. `now` is the clock (ms) the view
 * measures elapsed times with. Progress and failures of no step of the plan (supervise's) become notes; other
 * events about steps the plan does not have are ignored.
 */
export function reduce(model: ViewModel, event: CompctlEvent, now: number): ViewModel {
  switch (event.type) {
    case 'plan': {
      const rows = event.steps.map(rowOf)
      return {
        ...emptyModel(),
        notes: model.notes,
        project: event.project,
        planId: event.planId,
        rows: listOf(rows),
        index: new Map(rows.map((row, position) => [row.id, position])),
        counts: {...NO_COUNTS, waiting: rows.length},
        startedAt: now,
      }
    }
    case 'step_started':
      return update(model, event.stepId, (row) => (row.state === 'locked' ? row : {...row, state: 'running', runningSince: now, message: undefined}))
    case 'step_progress':
      if (!model.index.has(event.stepId)) return note(model, `${event.stepId}: ${event.message}`)
      return update(model, event.stepId, (row) => ({
        ...row,
        progress: {message: event.message, batch: event.batch, target: event.target, phase: event.phase, attempt: event.attempt},
      }))
    case 'step_output':
      return update(model, event.stepId, (row) => ({...row, recentOutput: [...row.recentOutput.slice(1 - TAIL_LINES), event.line]}))
    case 'lock_waiting':
      return update(model, event.stepId, (row) => ({
        ...row,
        state: 'locked',
        lockWait: {
          lock: event.lock,
          holders: event.holders,
          position: event.position,
          since: row.lockWait?.lock === event.lock ? row.lockWait.since : now,
        },
      }))
    case 'lock_acquired':
      return update(model, event.stepId, (row) => ({...row, state: 'running', runningSince: now, lockWait: undefined}))
    case 'step_done':
      return finish(model, event.stepId, (row) => ({...row, state: 'done', durationMs: event.durationMs, message: event.message}))
    case 'step_failed':
      if (!model.index.has(event.stepId)) return note(model, `${event.stepId}: ${event.error}`)
      return finish(model, event.stepId, (row) => ({
        ...row,
        state: 'failed',
        durationMs: event.durationMs,
        message: event.error,
        tail: event.tail && event.tail.length > 0 ? event.tail.slice(-TAIL_LINES) : row.recentOutput,
      }))
    case 'step_skipped':
      return finish(model, event.stepId, (row) => ({...row, state: 'skipped', message: event.reason}))
    case 'interrupt':
      return {...model, interrupt: {count: event.count, running: event.running}}
    case 'system_down':
      return {...model, systemDown: {reason: event.reason, stepId: event.stepId}}
    case 'summary':
      return {...model, summary: event, endedAt: now}
  }
}

function note(model: ViewModel, text: string): ViewModel {
  return {...model, notes: [...model.notes.slice(1 - NOTES_KEPT), text]}
}

function rowOf(step: StepRef): StepRow {
  return {
    id: step.id,
    action: step.action,
    type: step.type,
    name: step.name,
    kind: step.kind,
    lock: step.lock,
    waitsFor: step.waitsFor,
    batchCount: step.batches?.length ?? 0,
    state: 'waiting',
    tail: [],
    recentOutput: [],
  }
}

function update(model: ViewModel, stepId: string, change: (row: StepRow) => StepRow): ViewModel {
  const position = model.index.get(stepId)
  const row = position === undefined ? undefined : listGet(model.rows, position)
  if (position === undefined || row === undefined) return model
  const next = change(row)
  if (next === row) return model
  const counts =
    next.state === row.state ? model.counts : {...model.counts, [row.state]: model.counts[row.state] - 1, [next.state]: model.counts[next.state] + 1}
  return {...model, rows: listSet(model.rows, position, next), counts}
}

function finish(model: ViewModel, stepId: string, change: (row: StepRow) => StepRow): ViewModel {
  const next = update(model, stepId, (row) => ({...change(row), lockWait: undefined, finishedOrder: model.finishedCount + 1}))
  return next === model ? model : {...next, finishedCount: model.finishedCount + 1}
}

/** Steps that have ended, one way or another. */
export function finishedSteps(model: ViewModel): number {
  return model.counts.done + model.counts.failed + model.counts.skipped
}
