import {describe, expect, it} from 'vitest'
import type {Change} from '../../src/model/generated/compctl.js'
import {changeFolder, sh, targets} from './setup.js'

// Each target appends "start T" and, half a second later, "end T" to one shared file.
const timedApply: Change['apply'] = {run: [sh('echo "start $t" >> events; sleep 0.5; echo "end $t" >> events')]}

describe('batches', () => {
  it('serial 1 (the default) runs one target after another, in order', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a', 'b', 'c'), apply: timedApply})
    expect(result.status).toBe('success')
    expect(folder.lines('events')).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  it('serial 2 over 4 targets: the two of a batch overlap, the next batch starts after both ended', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a', 'b', 'c', 'd'), serial: 2, apply: timedApply})
    expect(result.status).toBe('success')
    const events = folder.lines('events')
    const at = (e: string) => events.indexOf(e)
    for (const [x, y] of [['a', 'b'], ['c', 'd']]) {
      expect(at(`start ${x}`)).toBeLessThan(at(`end ${y}`))
      expect(at(`start ${y}`)).toBeLessThan(at(`end ${x}`))
    }
    expect(Math.min(at('start c'), at('start d'))).toBeGreaterThan(Math.max(at('end a'), at('end b')))
    expect(Object.keys(result.targets).sort()).toEqual(['a', 'b', 'c', 'd'])
  })

  it('serial all starts every target at once', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a', 'b', 'c'), serial: 'all', apply: timedApply})
    expect(result.status).toBe('success')
    const events = folder.lines('events')
    expect(events.slice(0, 3).every((e) => e.startsWith('start'))).toBe(true)
    expect(events.slice(3).every((e) => e.startsWith('end'))).toBe(true)
  })

  it('runs check, apply and verify in order and records each outcome with its time', async () => {
    const folder = changeFolder()
    const before = Date.now()
    const progress: string[] = []
    const {result, reported} = await folder.run({
      targets: targets('a'),
      check: {run: [sh('echo "check $t" >> events')]},
      apply: {run: [sh('echo "apply $t" >> events')]},
      verify: {run: [sh('echo "verify $t" >> events')]},
    }, {onProgress: (p) => progress.push(p.target ? `${p.target}: ${p.message}` : p.message)})
    expect(progress).toEqual(['batch 1/1: a', 'a: check', 'a: apply', 'a: verify'])
    expect(folder.lines('events')).toEqual(['check a', 'apply a', 'verify a'])
    expect(result).toMatchObject({status: 'success', abortApply: false, interrupted: false, error: null, tail: []})
    expect(result.targets.a).toMatchObject({outcome: 'success', attempts: 1, error: null})
    expect(Date.parse(result.targets.a!.at)).toBeGreaterThanOrEqual(before - 1000)
    expect(reported).toEqual([{target: 'a', outcome: result.targets.a}])
  })

  it('a change without targets runs once, as target `local`', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({apply: {run: [sh('echo ran >> events')]}})
    expect(Object.keys(result.targets)).toEqual(['local'])
    expect(folder.lines('events')).toEqual(['ran'])
  })
})
