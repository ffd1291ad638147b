import {describe, expect, it} from 'vitest'
import type {CompctlFile} from '../../src/model/generated/compctl.js'
import {buildPlan} from '../../src/planner/plan.js'
import {resolveMoves} from '../../src/planner/moves.js'
import {staleReasons} from '../../src/services/stale.js'
import {change, component, ids, input, ran, running, state, type Scenario} from './fixtures.js'

/** A plan of `scenario` with `moved` entries in the file. */
function planWithMoves(scenario: Scenario, moved: NonNullable<CompctlFile['moved']>) {
  const planInput = input(scenario)
  planInput.spec.moved = moved
  return buildPlan(planInput)
}

describe('moved: in the planner', () => {
  const auth = component()

  it('renames a recorded component with one move step and nothing else when the spec is unchanged', () => {
    const p = planWithMoves({components: {auth}, state: state({authd: running(auth, 40)})}, [{from: 'authd', to: 'auth'}])
    expect(ids(p)).toEqual(['move.auth'])
    const move = p.steps[0]!
    expect(move).toMatchObject({action: 'move', type: 'component', name: 'auth', from: 'authd', waitsFor: [], lock: null})
    expect(move.assumes).toMatchObject({pid: 40, startTime: 1040, status: 'running'})
    expect(p.summary).toMatchObject({move: 1, start: 0, stop: 0, total: 1})
  })

  it('without the move the same inputs stop the old name and start the new one', () => {
    const p = planWithMoves({components: {auth}, state: state({authd: running(auth, 40)})}, [])
    expect(ids(p)).toEqual(['stop.authd', 'start.auth'])
    expect(p.summary.move).toBeUndefined()
  })

  it('adds a restart after the move when the command changed too, waiting for the move', () => {
    const p = planWithMoves({components: {auth: component({command: ['sleep', '2000']})}, state: state({authd: running(auth, 40)})}, [{from: 'authd', to: 'auth'}])
    expect(ids(p)).toEqual(['move.auth', 'restart.auth'])
    expect(p.steps[1]!.waitsFor).toEqual(['move.auth'])
    expect(p.steps[1]!.assumes.pid).toBe(40)
  })

  it('follows a chain to its end and ignores an entry whose from is not recorded', () => {
    const p = planWithMoves({components: {c: auth}, state: state({a: running(auth, 41)})}, [
      {from: 'a', to: 'b'},
      {from: 'b', to: 'c'},
      {from: 'gone', to: 'c2'},
    ])
    expect(ids(p)).toEqual(['move.c'])
    expect(p.steps[0]!.from).toBe('a')
  })

  it('moves a change record', () => {
    const dns = change()
    const p = planWithMoves({changes: {'dns-v2': dns}, state: state({}, {dns: ran(dns, 'success')})}, [{from: 'dns', to: 'dns-v2'}])
    expect(ids(p)).toEqual(['move.dns-v2'])
    expect(p.steps[0]!.type).toBe('change')
  })

  it('refuses, as a conflict the caller reports, a destination that is recorded already, and leaves both records alone', () => {
    const scenario = {components: {auth}, state: state({authd: running(auth, 40), auth: running(auth, 41)})}
    const planInput = input(scenario)
    planInput.spec.moved = [{from: 'authd', to: 'auth'}]
    expect(resolveMoves(planInput.spec, planInput.state).conflicts).toEqual([
      expect.objectContaining({from: 'authd', path: ['moved', 0, 'to'], message: expect.stringContaining('auth is recorded already')}),
    ])
    expect(ids(buildPlan(planInput))).toEqual([])
  })

  it('refuses two records that a chain would bring to one name, and a component moved onto a change', () => {
    const spec: CompctlFile = {version: 1, components: {c: auth}, changes: {job: change()}, moved: [{from: 'a', to: 'b'}, {from: 'b', to: 'c'}, {from: 'x', to: 'job'}]}
    const {conflicts, moves} = resolveMoves(spec, state({a: running(auth, 1), b: running(auth, 2), x: running(auth, 3)}))
    expect(moves.map((m) => `${m.from}>${m.to}`)).toEqual(['a>c'])
    expect(conflicts.map((c) => c.message)).toEqual([
      expect.stringContaining('both a and b are recorded and would become c'),
      expect.stringContaining('x is a recorded component but job is declared as a change'),
    ])
  })

  it('is ignored by --destroy, which stops records under the names they have', () => {
    const p = planWithMoves({components: {auth}, state: state({authd: running(auth, 40)}), options: {destroy: true}}, [{from: 'authd', to: 'auth'}])
    expect(ids(p)).toEqual(['stop.authd'])
  })

  it('a saved plan with a move is fresh against the state it was made from, stale once the old record changed', async () => {
    const recorded = state({authd: running(auth, 40)})
    const p = planWithMoves({components: {auth: component({command: ['sleep', '2000']})}, state: recorded}, [{from: 'authd', to: 'auth'}])
    expect(await staleReasons(p, recorded)).toEqual([])
    const restarted = state({authd: running(auth, 50)})
    expect(await staleReasons(p, restarted)).toEqual([
      'move.auth: pid was 40 when planned, now 50',
      'move.auth: startTime was 1040 when planned, now 1050',
      'restart.auth: pid was 40 when planned, now 50',
      'restart.auth: startTime was 1040 when planned, now 1050',
    ])
  })
})

describe('an adopted process in the planner', () => {
  const desired = component({command: ['sleep', '1000']})

  it('plans nothing when the adopted command line is the desired command', () => {
    const recorded = state({auth: running(desired, 40, {adopted: {at: '2026-01-01T00:00:00Z', command: ['sleep', '1000']}})})
    expect(ids(buildPlan(input({components: {auth: desired}, state: recorded})))).toEqual([])
  })

  it('plans a restart saying the adopted command differs, showing both', () => {
    const recorded = state({auth: running(desired, 40, {adopted: {at: '2026-01-01T00:00:00Z', command: ['/usr/bin/sleep', '1000']}})})
    const p = buildPlan(input({components: {auth: desired}, state: recorded}))
    expect(ids(p)).toEqual(['restart.auth'])
    expect(p.steps[0]!.reason).toBe(`the adopted process's command differs from the desired command: it runs ["/usr/bin/sleep","1000"], the file wants ["sleep","1000"]`)
    expect(p.steps[0]!.diff).toEqual([{path: 'command', before: ['/usr/bin/sleep', '1000'], after: ['sleep', '1000'], impact: 'restart'}])
  })

  it('compares a string command as /bin/sh -c STRING', () => {
    const shell = component({command: 'sleep 1000'})
    const recorded = state({auth: running(shell, 40, {adopted: {at: '2026-01-01T00:00:00Z', command: ['/bin/sh', '-c', 'sleep 1000']}})})
    expect(ids(buildPlan(input({components: {auth: shell}, state: recorded})))).toEqual([])
  })
})
