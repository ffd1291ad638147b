import type {Change, CompctlFile, Component} from '../../src/model/generated/compctl.js'
import type {CompctlPlan, PlanStep} from '../../src/model/generated/plan.js'
import type {ChangeState, CompctlState, ComponentState} from '../../src/model/generated/state.js'
import {buildPlan, type PlanInput, type PlanOptions} from '../../src/planner/plan.js'
import type {Observation} from '../../src/process/observe.js'
import {specHash} from '../../src/util/canonical.js'

/** Plan inputs built by hand: the planner is pure, so its tests start nothing. */

export const component = (fields: Partial<Component> = {}): Component => ({command: ['sleep', '1000'], ...fields})
export const change = (fields: Partial<Change> = {}): Change => ({apply: {run: [['true']]}, ...fields})

/** A component recorded as running `spec` (pid and start time made up; `observed` decides liveness). */
export function running(spec: Component, pid: number, fields: Partial<ComponentState> = {}): ComponentState {
  return {spec: spec as unknown as Record<string, unknown>, specHash: specHash(spec), status: 'running', pid, startTime: 1000 + pid, ...fields}
}

export function ran(spec: Change, status: ChangeState['status'], fields: Partial<ChangeState> = {}): ChangeState {
  const targets = Object.fromEntries(
    (spec.targets ?? [{name: 'local'}]).map((t) => [t.name, {outcome: status === 'failed' ? ('failed' as const) : ('success' as const), at: '2026-01-01T00:00:00Z'}]),
  )
  return {spec: spec as unknown as Record<string, unknown>, specHash: specHash(spec), status, targets, lastRunAt: '2026-01-01T00:00:00Z', ...fields}
}

export function state(components: Record<string, ComponentState> = {}, changes: Record<string, ChangeState> = {}): CompctlState {
  return {version: 1, lineage: 'lineage-1', serial: 3, project: 'test', components, changes}
}

/** Every recorded process with a pid observed alive and the same process. */
export function allAlive(recorded: CompctlState | null): Record<string, Observation> {
  const out: Record<string, Observation> = {}
  for (const [name, c] of Object.entries(recorded?.components ?? {})) if (c.pid) out[name] = {alive: true, sameProcess: true}
  return out
}

export interface Scenario {
  components?: Record<string, Component>
  changes?: Record<string, Change>
  locks?: CompctlFile['locks']
  state?: CompctlState | null
  /** Overrides of what refresh found; every other recorded process is alive. */
  observed?: Record<string, Observation>
  watched?: PlanInput['watched']
  options?: Partial<PlanOptions>
}

export function input(s: Scenario): PlanInput {
  const recorded = s.state ?? null
  const spec: CompctlFile = {version: 1, project: 'test'}
  if (s.components) spec.components = s.components
  if (s.changes) spec.changes = s.changes
  if (s.locks) spec.locks = s.locks
  return {
    source: {file: '/srv/test/compctl.yaml', baseDir: '/srv/test', stateDir: '/srv/test/state'},
    project: 'test',
    spec,
    state: recorded,
    observed: {...allAlive(recorded), ...s.observed},
    watched: s.watched ?? {},
    options: {destroy: false, targets: [], replace: [], refresh: true, ...s.options},
  }
}

export const plan = (s: Scenario): CompctlPlan => buildPlan(input(s))

/** `action.name` of each step, in order: the shape most assertions compare. */
export const ids = (p: CompctlPlan): string[] => p.steps.map((s) => s.id)

export function step(p: CompctlPlan, name: string): PlanStep {
  const found = p.steps.find((s) => s.name === name)
  if (!found) throw new Error(`no step for ${name} in ${ids(p).join(', ')}`)
  return found
}
