import {stripVTControlCharacters} from 'node:util'
import {describe, expect, it} from 'vitest'
import {planOf, run, step} from './fixtures.js'

// Ink colours through chalk, which decides once, when loaded, whether the output takes colour.
// Force it on, then load Ink, so this file can tell colour from no colour.
process.env.FORCE_COLOR = '1'
const {render} = await import('ink-testing-library')
const {RunView} = await import('../../../src/views/ink/run-view.js')
const {ConfirmPrompt} = await import('../../../src/views/ink/confirm.js')

const model = run([
  [0, planOf([step('start.a'), step('start.b')])],
  [1, {type: 'step_started', stepId: 'start.a'}],
  [2, {type: 'step_done', stepId: 'start.a', durationMs: 1}],
  [3, {type: 'step_started', stepId: 'start.b'}],
  [4, {type: 'step_failed', stepId: 'start.b', durationMs: 1, error: 'exited 1', tail: ['oops']}],
])

describe('colour', () => {
  it('colours the rows and the bar when on', () => {
    const frame = render(<RunView model={model} now={10} width={80} height={undefined} colour title="Apply" />).lastFrame() ?? ''
    expect(frame).toMatch(/\u001b\[3\dm✔/)
    expect(frame).not.toBe(stripVTControlCharacters(frame))
  })

  it('writes no escape codes at all when off (NO_COLOR, --no-color)', () => {
    const run = render(<RunView model={model} now={10} width={80} height={undefined} colour={false} title="Apply" />).lastFrame() ?? ''
    const prompt = render(<ConfirmPrompt destroy={false} colour={false} onAnswer={() => {}} />).lastFrame() ?? ''
    expect(run).toContain('✔ start a')
    expect(run).toBe(stripVTControlCharacters(run))
    expect(prompt).toContain('Enter a value:')
    expect(prompt).toBe(stripVTControlCharacters(prompt))
  })
})
