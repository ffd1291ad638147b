import {describe, expect, it} from 'vitest'
import type {Change} from '../../src/model/generated/compctl.js'
import {changeFolder, sh, targets} from './setup.js'

// Target `b` fails its apply; every target records what ran in `events`.
const failingB = (onFailure: Change['onFailure']): Change => ({
  targets: targets('a', 'b', 'c'),
  onFailure,
  apply: {run: [sh('echo "apply $t" >> events; [ "$t" != b ]')]},
  backout: [{run: [sh('echo "backout $t" >> events')]}],
})

describe('onFailure', () => {
  it('abort (the default) backs out the failing target, starts no further batch and tells the executor to stop', async () => {
    const folder = changeFolder()
    const change = failingB(undefined)
    const {result, reported} = await folder.run(change)
    expect(folder.lines('events')).toEqual(['apply a', 'apply b', 'backout b'])
    expect(result.status).toBe('failed')
    expect(result.abortApply).toBe(true)
    expect(result.targets.a?.outcome).toBe('success')
    expect(result.targets.b?.outcome).toBe('backout_ok')
    expect(result.targets.c).toBeUndefined()
    expect(reported.map((r) => r.target)).toEqual(['a', 'b'])
    expect(result.error).toContain('b: backout_ok: apply failed')
    expect(result.error).toContain('not run: c')
  })

  it('continue goes on with the other targets and does not stop the apply', async () => {
    const folder = changeFolder()
    const {result} = await folder.run(failingB('continue'))
    expect(folder.lines('events')).toEqual(['apply a', 'apply b', 'backout b', 'apply c'])
    expect(result.status).toBe('failed')
    expect(result.abortApply).toBe(false)
    expect(result.targets.c?.outcome).toBe('success')
    expect(result.targets.b?.outcome).toBe('backout_ok')
  })

  it('backout-all also backs out, in reverse order of success, every target that had succeeded', async () => {
    const folder = changeFolder()
    const {result, reported} = await folder.run({
      targets: targets('a', 'b', 'c', 'd'),
      onFailure: 'backout-all',
      apply: {run: [sh('echo "apply $t" >> events; [ "$t" != c ]')]},
      backout: [{run: [sh('echo "backout $t" >> events')]}],
    })
    expect(folder.lines('events')).toEqual(['apply a', 'apply b', 'apply c', 'backout c', 'backout b', 'backout a'])
    expect(result.abortApply).toBe(true)
    expect(result.targets).toMatchObject({a: {outcome: 'backout_ok'}, b: {outcome: 'backout_ok'}, c: {outcome: 'backout_ok'}})
    expect(result.targets.d).toBeUndefined()
    // Each success was journaled, then its backout.
    expect(reported.map((r) => `${r.target}:${r.outcome.outcome}`)).toEqual(['a:success', 'b:success', 'c:backout_ok', 'b:backout_ok', 'a:backout_ok'])
  })

  it('backout-all marks a success it cannot back out (no entry without `when`) backout_failed', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({
      targets: targets('a', 'b'),
      onFailure: 'backout-all',
      apply: {run: [sh('[ "$t" != b ]')]},
      backout: [{when: {exitCode: 1}, run: [['true']]}],
    })
    expect(result.targets.b?.outcome).toBe('backout_ok')
    expect(result.targets.a?.outcome).toBe('backout_failed')
    expect(result.targets.a?.error).toContain('no backout entry without `when`')
  })
})

describe('retries', () => {
  it('re-runs a failed target from check and counts attempts', async () => {
    const folder = changeFolder()
    // apply fails the first time only (a counter file), and is backed out before the retry.
    const {result} = await folder.run({
      targets: targets('a'),
      retries: 2,
      check: {run: [sh('echo check >> events')]},
      apply: {run: [sh('n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "apply $n" >> events; [ $n -ge 2 ]')]},
      backout: [{run: [sh('echo backout >> events')]}],
    })
    expect(folder.lines('events')).toEqual(['check', 'apply 1', 'backout', 'check', 'apply 2'])
    expect(result.status).toBe('success')
    expect(result.targets.a).toMatchObject({outcome: 'success', attempts: 2})
  })

  it('gives up after 1 + retries attempts', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a'), retries: 2, apply: {run: [sh('echo try >> events; exit 1')]}})
    expect(folder.lines('events')).toEqual(['try', 'try', 'try'])
    expect(result.targets.a).toMatchObject({outcome: 'failed', attempts: 3})
    expect(result.targets.a?.error).toContain('no backout defined')
  })

  it('does not retry over a failed backout', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({
      targets: targets('a'),
      retries: 3,
      apply: {run: [sh('echo try >> events; exit 1')]},
      backout: [{run: [['false']]}],
    })
    expect(folder.lines('events')).toEqual(['try'])
    expect(result.targets.a).toMatchObject({outcome: 'backout_failed', attempts: 1})
  })
})

describe('check and backout', () => {
  it('a failing check fails the target with nothing run after it and nothing backed out', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({
      targets: targets('a'),
      check: {run: [sh('echo check >> events; exit 3')]},
      apply: {run: [sh('echo apply >> events')]},
      backout: [{run: [sh('echo backout >> events')]}],
      verifyBackout: {run: [sh('echo verifyBackout >> events')]},
    })
    expect(folder.lines('events')).toEqual(['check'])
    expect(result.targets.a?.outcome).toBe('failed')
    expect(result.error).toMatch(/^a: failed: check failed: `sh -c .*` exited 3 \(expected 0\)$/)
  })

  const conditional = (applyExit: number): Change => ({
    targets: targets('a'),
    apply: {run: [sh(`exit ${applyExit}`)]},
    backout: [
      {when: {exitCode: 9}, run: [sh('echo "user exists" >> events')]},
      {run: [sh('echo "catch-all" >> events')]},
    ],
  })

  it('runs the first backout whose `when` matches the failure', async () => {
    const nine = changeFolder()
    const r9 = await nine.run(conditional(9))
    expect(nine.lines('events')).toEqual(['user exists'])
    expect(r9.result.targets.a?.outcome).toBe('backout_ok')
    expect(r9.result.targets.a?.error).toContain('backout[0]')

    const other = changeFolder()
    await other.run(conditional(3))
    expect(other.lines('events')).toEqual(['catch-all'])
  })

  it('matches `when` on the failing phase and on output', async () => {
    const folder = changeFolder()
    await folder.run({
      targets: targets('a'),
      apply: {run: [['true']]},
      verify: {run: [sh('echo "no such user"; exit 1')]},
      backout: [
        {when: {phase: 'apply'}, run: [sh('echo apply-backout >> events')]},
        {when: {phase: 'verify', stdout: 'no such'}, run: [sh('echo verify-backout >> events')]},
      ],
    })
    expect(folder.lines('events')).toEqual(['verify-backout'])
  })

  it('a failed apply that no backout matches stays failed and says so', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a'), apply: {run: [['sh', '-c', 'exit 4']]}, backout: [{when: {exitCode: 9}, run: [['true']]}]})
    expect(result.targets.a?.outcome).toBe('failed')
    expect(result.targets.a?.error).toContain('no backout entry matches (exit 4)')
  })

  it('verifyBackout failing gives backout_failed; passing gives backout_ok', async () => {
    const change = (verifyExit: number): Change => ({
      targets: targets('a'),
      apply: {run: [['false']]},
      backout: [{run: [sh('echo backout >> events')]}],
      verifyBackout: {run: [sh(`echo verifyBackout >> events; exit ${verifyExit}`)]},
    })
    const bad = changeFolder()
    const {result} = await bad.run(change(1))
    expect(bad.lines('events')).toEqual(['backout', 'verifyBackout'])
    expect(result.targets.a?.outcome).toBe('backout_failed')
    expect(result.targets.a?.error).toContain('verifyBackout failed')

    const good = changeFolder()
    expect((await good.run(change(0))).result.targets.a?.outcome).toBe('backout_ok')
  })

  it('a failing backout command gives backout_failed without running verifyBackout', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({
      targets: targets('a'),
      apply: {run: [['false']]},
      backout: [{run: [['false']]}],
      verifyBackout: {run: [sh('echo verifyBackout >> events')]},
    })
    expect(result.targets.a?.outcome).toBe('backout_failed')
    expect(folder.exists('events')).toBe(false)
  })
})
