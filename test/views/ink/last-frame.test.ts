import {stripVTControlCharacters} from 'node:util'
import {describe, expect, it} from 'vitest'
import type {CompctlEvent} from '../../../src/model/generated/events.js'
import {createInkView} from '../../../src/views/ink/index.js'
import {planOf, step, summaryOf, type Untimed} from './fixtures.js'
import {FakeStdin, FakeStdout} from './streams.js'

const at = (e: Untimed): CompctlEvent => ({...e, time: new Date().toISOString()}) as CompctlEvent

function terminal() {
  const stdout = new FakeStdout(100, 40)
  return {stdout, options: {stdout: stdout.asStream(), stdin: new FakeStdin().asStream(), colour: false}}
}

describe("the Ink view's last frame", () => {
  it('of a finished run is printed for good at close(), with only its summary live: Ink has no frame left to draw again', async () => {
    const {stdout, options} = terminal()
    const view = await createInkView(options)
    view.onEvent(at(planOf([step('start.auth'), step('start.msgq')])))
    for (const id of ['start.auth', 'start.msgq']) {
      view.onEvent(at({type: 'step_started', stepId: id}))
      view.onEvent(at({type: 'step_done', stepId: id, durationMs: 20}))
    }
    view.onEvent(at(summaryOf({durationMs: 40, counts: {started: 2, stopped: 0, restarted: 0, reloaded: 0, updated: 0, changes: 0, failed: 0, skipped: 0}})))
    const before = stdout.writes.length
    await view.close()
    const writes = stdout.writes.slice(before).map((write) => stripVTControlCharacters(write))
    // The rows and the progress bar, written once as static output; then the summary, the live part.
    const rows = writes.filter((write) => write.includes('start msgq'))
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(/^Apply · project dns · 2 steps\n✔ start auth +done in 20ms\n✔ start msgq +done in 20ms\n\n\[█+\] 2\/2 steps · 0\.0s\n$/)
    expect(writes.slice(writes.indexOf(rows[0]!)).join('')).toMatch(/\nApply complete! 2 started in 40ms\.\n$/)
    // On screen, as before: the whole frame, its summary last.
    const text = stripVTControlCharacters(stdout.text())
    expect(text.slice(text.lastIndexOf('Apply · project dns'))).toMatch(/2\/2 steps · 0\.0s\nApply complete! 2 started in 40ms\.\n$/)
  })

  it('of a run closed before its summary (an error) stays live, drawn as it stands', async () => {
    const {stdout, options} = terminal()
    const view = await createInkView(options)
    view.onEvent(at(planOf([step('start.auth')])))
    view.onEvent(at({type: 'step_started', stepId: 'start.auth'}))
    await view.close()
    const text = stripVTControlCharacters(stdout.text())
    expect(text.slice(text.lastIndexOf('Apply · project dns'))).toMatch(/start auth/)
    expect(text).not.toContain('Apply complete!')
  })
})
