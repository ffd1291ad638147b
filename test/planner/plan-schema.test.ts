import {describe, expect, it} from 'vitest'
import validatePlan from '../../src/model/generated/validate-plan.js'
import type {CompctlPlan} from '../../src/model/generated/plan.js'
import {buildPlan} from '../../src/planner/plan.js'
import {change, component, input, plan, ran, running, state} from './fixtures.js'

/** Every plan the planner makes is a valid schemas/plan.schema.json document, as `--json` and `--out` promise. */
function expectValid(p: CompctlPlan): void {
  const valid = validatePlan(JSON.parse(JSON.stringify(p)))
  expect(validatePlan.errors ?? []).toEqual([])
  expect(valid).toBe(true)
}

describe('plans match schemas/plan.schema.json', () => {
  const watching = component({watch: ['a.conf'], reload: {signal: 'SIGHUP'}, lock: 'restart', kind: 'core', priority: 3})
  const migrate = change({targets: [{name: 'ns1'}, {name: 'ns2'}, {name: 'ns3'}], serial: 2, lock: 'restart', dependsOn: ['web']})
  const recorded = state(
    {
      web: running(watching, 10, {watched: {'a.conf': 'sha256:1'}}),
      gone: running(component({kind: 'needed'}), 11),
      failed: running(component(), 12, {status: 'failed', pid: null, lastError: 'boom'}),
    },
    {migrate: ran(migrate, 'failed')},
  )
  const scenario = {
    components: {web: watching, failed: component(), fresh: component({dependsOn: ['web']})},
    changes: {migrate, fresh2: change()},
    locks: {restart: {holders: 1}},
    state: recorded,
    watched: {web: {'a.conf': 'sha256:2'}},
  }

  it('an empty plan', () => expectValid(plan({})))
  it('a plan of every action', () => {
    const p = plan(scenario)
    expect(new Set(p.steps.map((s) => s.action))).toEqual(new Set(['stop', 'reload', 'start', 'change']))
    expectValid(p)
  })
  it('updates and restarts', () => {
    const p = plan({...scenario, components: {...scenario.components, web: {...watching, priority: 4}}, watched: {web: {'a.conf': 'sha256:1'}}, options: {replace: ['failed']}})
    expect(p.steps.some((s) => s.action === 'update')).toBe(true)
    expectValid(p)
  })
  it('a destroy plan', () => expectValid(plan({...scenario, options: {destroy: true}})))
  it('a targeted plan', () => expectValid(plan({...scenario, options: {targets: ['fresh']}})))

  it('a caller that leaves out destroy and refresh still gets a valid plan', () => {
    const i = input(scenario)
    i.options = {targets: [], replace: []} as unknown as typeof i.options
    expectValid(buildPlan(i))
  })

  it('a stop acting on a recorded spec the current schema no longer allows', () => {
    const odd = state({old: {spec: {command: 'x', kind: 'legacy', priority: 'high', lock: 7, dependsOn: 'x'}, specHash: 'sha256:0', status: 'running', pid: 5, startTime: 9}})
    const p = plan({state: odd})
    expect(p.steps.map((s) => [s.id, s.kind, s.priority, s.lock])).toEqual([['stop.old', 'dispensable', 0, null]])
    expectValid(p)
  })
})
