import type {CompctlEvent, PlanEvent, StepRef, SummaryEvent} from '../../../src/model/generated/events.js'
import type {CompctlPlan, PlanStep} from '../../../src/model/generated/plan.js'
import {reduce, emptyModel, type ViewModel} from '../../../src/views/ink/reducer.js'

export const T0 = 1_700_000_000_000

export function step(id: string, extra: Partial<StepRef> = {}): StepRef {
  const [action, name] = id.split('.') as [StepRef['action'], string]
  return {id, action, type: action === 'change' ? 'change' : 'component', name, waitsFor: [], lock: null, ...extra}
}

export function planOf(steps: StepRef[]): PlanEvent {
  return {type: 'plan', time: new Date(T0).toISOString(), planId: 'p-0123456789', project: 'dns', steps}
}

export function summaryOf(extra: Partial<SummaryEvent> = {}): SummaryEvent {
  return {
    type: 'summary',
    time: new Date(T0).toISOString(),
    ok: true,
    exitCode: 0,
    durationMs: 4200,
    counts: {started: 3, stopped: 1, restarted: 0, reloaded: 0, updated: 0, changes: 1, failed: 0, skipped: 0},
    ...extra,
  }
}

/** An event without its `time`, stamped at T0 + ms. */
export type Untimed<E = CompctlEvent> = E extends unknown ? Omit<E, 'time'> : never

/** Feeds [ms after T0, event] pairs through the reducer, from `model` (default: empty). */
export function run(events: [number, Untimed][], model: ViewModel = emptyModel()): ViewModel {
  return events.reduce((m, [ms, event]) => reduce(m, {...event, time: new Date(T0 + ms).toISOString()} as CompctlEvent, T0 + ms), model)
}

/** A plan as `compctl plan --json` gives it, with one step per id. */
export function compctlPlanOf(ids: string[], options: {destroy?: boolean} = {}): CompctlPlan {
  const steps: PlanStep[] = ids.map((id) => {
    const ref = step(id)
    return {
      ...ref,
      priority: 0,
      reason: `${ref.name} is new`,
      diff: [],
      assumes: {specHash: null, status: null, pid: null, startTime: null},
      spec: {},
      specHash: 'h',
    }
  })
  const summary: CompctlPlan['summary'] = {start: 0, stop: 0, restart: 0, reload: 0, update: 0, change: 0, total: steps.length}
  for (const s of steps) summary[s.action] = (summary[s.action] ?? 0) + 1
  return {
    format_version: '1',
    id: 'p-0123456789',
    project: 'dns',
    lineage: null,
    source: {file: 'compctl.yaml', baseDir: '.', stateDir: 'state'},
    options: {destroy: options.destroy ?? false, targets: [], replace: [], refresh: true},
    settings: {},
    locks: {},
    steps,
    summary,
  }
}
