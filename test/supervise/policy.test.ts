import {describe, expect, it} from 'vitest'
import type {Component} from '../../src/model/generated/compctl.js'
import {backoffMs, decideCrash, MAX_BACKOFF_MS, STABLE_RUN_MS} from '../../src/supervisor/policy.js'

const spec = (extra: Partial<Component>): Component => ({command: ['sleep', '300'], ...extra}) as Component
const crash = (component: Component, ranMs: number, restarts = 0) => decideCrash({name: 'x', spec: component, ranMs, how: 'exited', series: {restarts}})

describe('crash policy (BIND 10 kinds)', () => {
  it('core: the system goes down, however long it ran', () => {
    expect(crash(spec({kind: 'core'}), 3_600_000)).toMatchObject({action: 'system_down', why: 'core component x exited after 60m00s'})
  })

  it('needed: down within startGrace (default 10s), restarted after it, without a limit', () => {
    expect(crash(spec({kind: 'needed'}), 9_999)).toMatchObject({action: 'system_down', why: expect.stringMatching(/within its startGrace of 10s$/)})
    expect(crash(spec({kind: 'needed'}), 10_000)).toMatchObject({action: 'restart', restart: 1, limit: null, delayMs: 1000})
    expect(crash(spec({kind: 'needed', startGrace: '2s'}), 1_500)).toMatchObject({action: 'system_down'})
    expect(crash(spec({kind: 'needed', startGrace: '2s'}), 2_500, 40)).toMatchObject({action: 'restart', restart: 41, delayMs: MAX_BACKOFF_MS})
  })

  it('dispensable: restarted up to restart.retries in a series, then given up; none without retries', () => {
    const flaky = spec({kind: 'dispensable', restart: {retries: 2, backoff: '100ms'}})
    expect(crash(flaky, 500, 0)).toMatchObject({action: 'restart', restart: 1, limit: 2, delayMs: 100})
    expect(crash(flaky, 500, 1)).toMatchObject({action: 'restart', restart: 2, limit: 2, delayMs: 200})
    expect(crash(flaky, 500, 2)).toMatchObject({action: 'give_up', why: expect.stringMatching(/gave up after 2 restarts/)})
    expect(crash(spec({}), 500)).toMatchObject({action: 'give_up', why: expect.stringMatching(/restart\.retries is 0/)})
  })

  it('a run of STABLE_RUN_MS ends the series: the count and the backoff start over', () => {
    const flaky = spec({restart: {retries: 2, backoff: '100ms'}})
    expect(crash(flaky, STABLE_RUN_MS - 1, 2)).toMatchObject({action: 'give_up'})
    expect(crash(flaky, STABLE_RUN_MS, 2)).toMatchObject({action: 'restart', restart: 1, delayMs: 100})
  })

  it('backoff doubles from restart.backoff (default 1s), capped at 30s unless the first wait is longer', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(spec({}), n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000])
    expect(backoffMs(spec({restart: {backoff: '45s'}}), 3)).toBe(45_000)
    expect(backoffMs(spec({restart: {backoff: 0.25}}), 2)).toBe(500)
  })
})
