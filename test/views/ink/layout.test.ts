import {describe, expect, it} from 'vitest'
import {layoutRows} from '../../../src/views/ink/layout.js'
import type {ViewModel} from '../../../src/views/ink/reducer.js'
import {planOf, run, step, type Untimed} from './fixtures.js'

/** Ten steps: c0..c5 done in order, c6 failed with a 5-line tail, c7 running, c8 and c9 waiting. */
function model(): ViewModel {
  const events: [number, Untimed][] = [[0, planOf(Array.from({length: 10}, (_, i) => step(`start.c${i}`)))]]
  for (let i = 0; i < 6; i++) events.push([i, {type: 'step_started', stepId: `start.c${i}`}], [i, {type: 'step_done', stepId: `start.c${i}`, durationMs: 1}])
  events.push(
    [7, {type: 'step_started', stepId: 'start.c6'}],
    [8, {type: 'step_failed', stepId: 'start.c6', durationMs: 1, error: 'x', tail: ['1', '2', '3', '4', '5']}],
  )
  events.push([9, {type: 'step_started', stepId: 'start.c7'}])
  return run(events)
}

const ids = (layout: ReturnType<typeof layoutRows>) => layout.rows.map((v) => v.row.name)

describe('layoutRows', () => {
  it('shows every row, with the whole tail, when they fit', () => {
    const layout = layoutRows(model(), 15)
    expect(ids(layout)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'])
    expect(layout.rows.find((v) => v.row.name === 'c6')?.tailLines).toBe(5)
    expect(layout.hidden).toEqual({waiting: 0, locked: 0, running: 0, done: 0, failed: 0, skipped: 0})
  })

  it('drops finished rows first, oldest first, keeping two lines for the counts', () => {
    const layout = layoutRows(model(), 14)
    // 12 lines for rows: c6 + tail (6), c7, c8, c9 (3), then the 3 latest done.
    expect(ids(layout)).toEqual(['c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'])
    expect(layout.hidden).toMatchObject({done: 3, waiting: 0})
  })

  it('cuts a failed tail, then waiting rows, when even that does not fit', () => {
    const layout = layoutRows(model(), 6)
    expect(ids(layout)).toEqual(['c6'])
    expect(layout.rows[0]!.tailLines).toBe(3)
    expect(layout.hidden).toMatchObject({done: 6, running: 1, waiting: 2})
  })

  it('shows every row when the height is unknown', () => {
    expect(layoutRows(model(), undefined).rows).toHaveLength(10)
  })
})
