import {describe, expect, it} from 'vitest'
import {listGet, listToArray} from '../../../src/views/ink/immutable-list.js'
import {emptyModel, reduce, type StepRow, type ViewModel} from '../../../src/views/ink/reducer.js'
import {planOf, run, step, summaryOf, T0} from './fixtures.js'

function row(model: ViewModel, id: string): StepRow {
  const position = model.index.get(id)
  const found = position === undefined ? undefined : listGet(model.rows, position)
  if (!found) throw new Error(`no row ${id}`)
  return found
}

const threeSteps = planOf([step('start.msgq'), step('start.cfgmgr', {waitsFor: ['start.msgq']}), step('change.add-operator', {batches: [['ns1'], ['ns2']]})])

describe('reduce', () => {
  it('turns a plan event into one waiting row per step, in plan order', () => {
    const model = run([[0, threeSteps]])
    expect(listToArray(model.rows).map((r) => [r.id, r.state])).toEqual([
      ['start.msgq', 'waiting'],
      ['start.cfgmgr', 'waiting'],
      ['change.add-operator', 'waiting'],
    ])
    expect(model.counts).toEqual({waiting: 3, locked: 0, running: 0, done: 0, failed: 0, skipped: 0})
    expect(model.project).toBe('dns')
    expect(model.startedAt).toBe(T0)
    expect(row(model, 'change.add-operator').batchCount).toBe(2)
  })

  it('leaves the model it was given unchanged (pure)', () => {
    const before = run([
      [0, threeSteps],
      [10, {type: 'step_started', stepId: 'start.msgq'}],
    ])
    const copy = structuredClone(before)
    const after = run(
      [
        [20, {type: 'step_done', stepId: 'start.msgq', durationMs: 10}],
        [30, {type: 'interrupt', count: 1, running: 0}],
      ],
      before,
    )
    expect(before).toEqual(copy)
    expect(row(after, 'start.msgq').state).toBe('done')
    expect(row(before, 'start.msgq').state).toBe('running')
  })

  it('follows interleaved parallel steps: running, progress, output, done, failed with output as tail, skipped', () => {
    const model = run([
      [0, planOf([step('start.a'), step('start.b'), step('change.c', {batches: [['t1', 't2'], ['t3']]}), step('start.d', {waitsFor: ['change.c']})])],
      [100, {type: 'step_started', stepId: 'start.a'}],
      [110, {type: 'step_started', stepId: 'change.c'}],
      [120, {type: 'step_started', stepId: 'start.b'}],
      [130, {type: 'step_output', stepId: 'change.c', line: 'checking t1'}],
      [140, {type: 'step_progress', stepId: 'change.c', message: 'verifying', batch: 2, target: 't3', phase: 'verify'}],
      [150, {type: 'step_progress', stepId: 'start.a', message: 'waiting for readiness', attempt: 2}],
      [160, {type: 'step_done', stepId: 'start.b', durationMs: 40, message: 'pid 42'}],
      [170, {type: 'step_output', stepId: 'change.c', line: 'verify: expected uid='}],
      [180, {type: 'step_failed', stepId: 'change.c', durationMs: 70, error: 'verify failed on t3'}],
      [190, {type: 'step_skipped', stepId: 'start.d', reason: 'change.c failed'}],
    ])
    expect(model.counts).toEqual({waiting: 0, locked: 0, running: 1, done: 1, failed: 1, skipped: 1})
    expect(row(model, 'start.a')).toMatchObject({state: 'running', runningSince: T0 + 100, progress: {message: 'waiting for readiness', attempt: 2}})
    expect(row(model, 'start.b')).toMatchObject({state: 'done', durationMs: 40, message: 'pid 42', finishedOrder: 1})
    expect(row(model, 'change.c')).toMatchObject({
      state: 'failed',
      durationMs: 70,
      message: 'verify failed on t3',
      tail: ['checking t1', 'verify: expected uid='],
      progress: {batch: 2, target: 't3', phase: 'verify'},
      finishedOrder: 2,
    })
    expect(row(model, 'start.d')).toMatchObject({state: 'skipped', message: 'change.c failed', finishedOrder: 3})
    expect(model.finishedCount).toBe(3)
  })

  it('prefers the tail a failure carries, keeping its last lines', () => {
    const tail = ['1', '2', '3', '4', '5', '6', '7']
    const model = run([
      [0, planOf([step('start.a')])],
      [1, {type: 'step_started', stepId: 'start.a'}],
      [2, {type: 'step_output', stepId: 'start.a', line: 'ignored'}],
      [3, {type: 'step_failed', stepId: 'start.a', durationMs: 2, error: 'exited 1', tail}],
    ])
    expect(row(model, 'start.a').tail).toEqual(['3', '4', '5', '6', '7'])
  })

  it('keeps only the last output lines of a step', () => {
    const lines = Array.from(
      {length: 20},
      (_, i) => [i + 2, {type: 'step_output', stepId: 'start.a', line: `line ${i}`}] as [number, {type: 'step_output'; stepId: string; line: string}],
    )
    const model = run([[0, planOf([step('start.a')])], [1, {type: 'step_started', stepId: 'start.a'}], ...lines])
    expect(row(model, 'start.a').recentOutput).toEqual(['line 15', 'line 16', 'line 17', 'line 18', 'line 19'])
  })

  it('shows a lock wait with its holders and queue position, then runs from the moment the lock is acquired', () => {
    const holder = {id: 'h1', project: 'dns', host: 'ns1', pid: 4242, step: 'restart.auth'}
    const waiting = run([
      [0, planOf([step('start.resolver', {lock: 'restart'})])],
      [100, {type: 'step_started', stepId: 'start.resolver'}],
      [200, {type: 'lock_waiting', stepId: 'start.resolver', lock: 'restart', holders: [holder], position: 2}],
      [900, {type: 'lock_waiting', stepId: 'start.resolver', lock: 'restart', holders: [holder], position: 1}],
    ])
    expect(waiting.counts.locked).toBe(1)
    expect(row(waiting, 'start.resolver')).toMatchObject({state: 'locked', lockWait: {lock: 'restart', holders: [holder], position: 1, since: T0 + 200}})

    const acquired = run([[1500, {type: 'lock_acquired', stepId: 'start.resolver', lock: 'restart'}]], waiting)
    expect(row(acquired, 'start.resolver')).toMatchObject({state: 'running', runningSince: T0 + 1500})
    expect(row(acquired, 'start.resolver').lockWait).toBeUndefined()
    expect(acquired.counts).toMatchObject({locked: 0, running: 1})
  })

  it('keeps a step that started before its lock was granted waiting for the lock', () => {
    const model = run([
      [0, planOf([step('start.a', {lock: 'l'})])],
      [1, {type: 'lock_waiting', stepId: 'start.a', lock: 'l', holders: [], position: 1}],
      [2, {type: 'step_started', stepId: 'start.a'}],
    ])
    expect(row(model, 'start.a').state).toBe('locked')
  })

  it('ignores events about steps the plan does not have', () => {
    const model = run([[0, threeSteps]])
    expect(reduce(model, {type: 'step_started', time: '', stepId: 'start.nope'}, T0)).toBe(model)
    expect(reduce(emptyModel(), {type: 'step_done', time: '', stepId: 'start.msgq', durationMs: 1}, T0).rows.size).toBe(0)
  })

  it("keeps the latest notes about no step of the plan (supervise's crashes and restarts) across plans", () => {
    const model = run([
      [0, threeSteps],
      [10, {type: 'step_progress', stepId: 'supervise.worker', message: 'exited (pid 7); restart 1 of 2 in 100ms'}],
      [20, {type: 'step_failed', stepId: 'supervise.stats', durationMs: 5, error: 'gave up after 2 restarts'}],
      [30, {type: 'step_progress', stepId: 'supervise', message: 'SIGHUP: re-reading compctl.yaml'}],
      [40, {type: 'step_progress', stepId: 'supervise.worker', message: 'restarted'}],
      [50, threeSteps],
    ])
    expect(model.notes).toEqual([
      'supervise.stats: gave up after 2 restarts',
      'supervise: SIGHUP: re-reading compctl.yaml',
      'supervise.worker: restarted',
    ])
    expect(model.counts.failed).toBe(0)
  })

  it('records interrupts, a system going down and the summary', () => {
    const model = run([
      [0, threeSteps],
      [10, {type: 'interrupt', count: 1, running: 2}],
      [20, {type: 'system_down', reason: 'core msgq failed', stepId: 'start.msgq'}],
      [30, {type: 'interrupt', count: 2, running: 1}],
      [40, summaryOf({ok: false, exitCode: 130, interrupted: true})],
    ])
    expect(model.interrupt).toEqual({count: 2, running: 1})
    expect(model.systemDown).toEqual({reason: 'core msgq failed', stepId: 'start.msgq'})
    expect(model.summary).toMatchObject({interrupted: true, exitCode: 130})
    expect(model.endedAt).toBe(T0 + 40)
  })

  it('starts over on a new plan (supervise applies again)', () => {
    const first = run([
      [0, threeSteps],
      [1, {type: 'step_started', stepId: 'start.msgq'}],
      [2, summaryOf()],
    ])
    const second = run([[5, planOf([step('restart.auth')])]], first)
    expect(second.summary).toBeUndefined()
    expect(second.rows.size).toBe(1)
    expect(second.counts.waiting).toBe(1)
    expect(second.startedAt).toBe(T0 + 5)
  })

  it('processes a 500-step plan quickly and ends with the right model', () => {
    const steps = Array.from({length: 500}, (_, i) => step(`start.c${i}`, i % 50 === 7 ? {lock: 'restart'} : {}))
    let model = reduce(emptyModel(), {...planOf(steps)}, T0)
    let clock = T0
    const ev = (e: Parameters<typeof reduce>[1]) => (model = reduce(model, e, ++clock))
    // Four at a time, as parallelism 4 would run them.
    for (let i = 0; i < 500; i += 4) {
      const batch = steps.slice(i, i + 4)
      for (const s of batch) ev({type: 'step_started', time: '', stepId: s.id})
      for (const s of batch) {
        if (s.lock) {
          ev({type: 'lock_waiting', time: '', stepId: s.id, lock: 'restart', holders: [{id: 'other'}], position: 1})
          ev({type: 'lock_acquired', time: '', stepId: s.id, lock: 'restart'})
        }
        for (let line = 0; line < 3; line++) ev({type: 'step_output', time: '', stepId: s.id, line: `${s.id} ${line}`})
        ev({type: 'step_progress', time: '', stepId: s.id, message: 'waiting for readiness'})
      }
      for (const s of batch) {
        const n = Number(s.name.slice(1))
        if (n % 100 === 99) ev({type: 'step_failed', time: '', stepId: s.id, durationMs: 5, error: 'exited 1'})
        else if (n % 100 === 98) ev({type: 'step_skipped', time: '', stepId: s.id, reason: 'depends on a failed step'})
        else ev({type: 'step_done', time: '', stepId: s.id, durationMs: 5})
      }
    }
    expect(model.counts).toEqual({waiting: 0, locked: 0, running: 0, done: 490, failed: 5, skipped: 5})
    expect(model.finishedCount).toBe(500)
    const rows = listToArray(model.rows)
    expect(rows.map((r) => r.id)).toEqual(steps.map((s) => s.id))
    expect(rows.filter((r) => r.state === 'failed').map((r) => r.tail)).toEqual(
      [99, 199, 299, 399, 499].map((n) => [`start.c${n} 0`, `start.c${n} 1`, `start.c${n} 2`]),
    )
    expect(new Set(rows.map((r) => r.finishedOrder)).size).toBe(500)
  })
})
