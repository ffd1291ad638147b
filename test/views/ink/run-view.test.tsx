import {render} from 'ink-testing-library'
import {stripVTControlCharacters} from 'node:util'
import {Box} from 'ink'
import {afterEach, describe, expect, it} from 'vitest'
import {cleanup} from 'ink-testing-library'
import {RunView} from '../../../src/views/ink/run-view.js'
import type {ViewModel} from '../../../src/views/ink/reducer.js'
import {planOf, run, step, summaryOf, T0} from './fixtures.js'

afterEach(cleanup)

function frame(model: ViewModel, options: {now?: number; height?: number; width?: number; title?: string} = {}): string {
  const {lastFrame} = render(
    <RunView
      model={model}
      now={options.now ?? T0 + 5000}
      width={options.width ?? 100}
      height={options.height}
      colour={false}
      title={options.title ?? 'Apply'}
    />,
  )
  return stripVTControlCharacters(lastFrame() ?? '')
}

function line(text: string, containing: string): string {
  const found = text.split('\n').find((l) => l.includes(containing))
  if (found === undefined) throw new Error(`no line with ${containing} in:\n${text}`)
  return found
}

const holder = {id: 'h-7', project: 'dns', host: 'ns1', pid: 4242, step: 'restart.auth'}

/** Twelve steps, one in each state and the rest done or waiting. */
function mixedModel(): ViewModel {
  const plan = planOf([
    step('start.msgq'),
    step('start.cfgmgr', {waitsFor: ['start.msgq']}),
    step('start.auth', {lock: 'restart'}),
    step('start.resolver'),
    step('change.add-operator', {batches: [['ns1'], ['ns2'], ['ns3']]}),
    step('start.stats', {waitsFor: ['start.resolver']}),
    step('start.w1', {waitsFor: ['start.auth']}),
    ...['d1', 'd2', 'd3', 'd4', 'd5'].map((n) => step(`start.${n}`)),
  ])
  return run([
    [0, plan],
    ...['d1', 'd2', 'd3', 'd4', 'd5'].flatMap((n, i): Parameters<typeof run>[0] => [
      [10 + i, {type: 'step_started', stepId: `start.${n}`}],
      [20 + i, {type: 'step_done', stepId: `start.${n}`, durationMs: 250 + i}],
    ]),
    [100, {type: 'step_started', stepId: 'start.msgq'}],
    [1300, {type: 'step_done', stepId: 'start.msgq', durationMs: 1200}],
    [1400, {type: 'step_started', stepId: 'start.cfgmgr'}],
    [1450, {type: 'step_progress', stepId: 'start.cfgmgr', message: 'waiting for readiness', attempt: 2}],
    [1500, {type: 'step_started', stepId: 'start.auth'}],
    [2000, {type: 'lock_waiting', stepId: 'start.auth', lock: 'restart', holders: [holder], position: 2}],
    [1600, {type: 'step_started', stepId: 'start.resolver'}],
    [1700, {type: 'step_output', stepId: 'start.resolver', line: 'resolver: bind 127.0.0.1:53: address in use'}],
    [2100, {type: 'step_failed', stepId: 'start.resolver', durationMs: 500, error: 'exited with code 1 before ready'}],
    [2200, {type: 'step_skipped', stepId: 'start.stats', reason: 'it depends on start.resolver, which failed'}],
    [2300, {type: 'step_started', stepId: 'change.add-operator'}],
    [2400, {type: 'step_progress', stepId: 'change.add-operator', message: 'ns2: apply', batch: 2, target: 'ns2', phase: 'apply'}],
  ])
}

describe('RunView', () => {
  it('shows a row per step with a symbol and detail for each state', () => {
    const text = frame(mixedModel(), {now: T0 + 5000})
    expect(line(text, 'start w1')).toMatch(/^· start w1 +waiting for start\.auth$/)
    expect(line(text, 'start auth')).toMatch(/^⧗ start auth +waiting for lock restart \(queue position 2, 3\.0s\) · held by restart\.auth \(pi…$/)
    expect(line(text, 'start cfgmgr')).toMatch(/^⠋ start cfgmgr +3\.6s · attempt 2 · waiting for readiness$/)
    expect(line(text, 'start msgq')).toMatch(/^✔ start msgq +done in 1\.2s$/)
    expect(line(text, 'start resolver')).toMatch(/^✖ start resolver +failed after 500ms: exited with code 1 before ready$/)
    expect(text).toContain('    │ resolver: bind 127.0.0.1:53: address in use')
    expect(line(text, 'start stats')).toMatch(/^↷ start stats +skipped: it depends on start\.resolver, which failed$/)
    expect(line(text, 'change add-operator')).toMatch(/^⠋ change add-operator +2\.7s · batch 2\/3 · target ns2 · apply$/)
  })

  it('shows the queue position and every holder of a lock', () => {
    const model = run([
      [0, planOf([step('start.a', {lock: 'restart'})])],
      [
        1000,
        {
          type: 'lock_waiting',
          stepId: 'start.a',
          lock: 'restart',
          holders: [
            {id: 'h1', step: 'stop.b'},
            {id: 'h2', project: 'web'},
          ],
          position: 3,
        },
      ],
    ])
    expect(line(frame(model, {now: T0 + 2500}), 'start a')).toMatch(
      /^⧗ start a +waiting for lock restart \(queue position 3, 1\.5s\) · held by stop\.b, h2 \(project web\)$/,
    )
  })

  it('turns the spinner and counts elapsed time as the clock moves', () => {
    const model = mixedModel()
    expect(line(frame(model, {now: T0 + 5000}), 'start cfgmgr')).toContain('⠋ start cfgmgr')
    expect(line(frame(model, {now: T0 + 5120}), 'start cfgmgr')).toMatch(/^⠙ start cfgmgr +3\.7s/)
  })

  it('draws the overall progress bar with finished steps and elapsed time', () => {
    const text = frame(mixedModel(), {now: T0 + 12_300})
    // 5 + msgq done, resolver failed, stats skipped: 8 of 12.
    expect(line(text, ' steps ·')).toMatch(/^\[█+░+\] 8\/12 steps · 12\.3s · 1 failed$/)
    const bar = /\[(█+)(░+)\]/.exec(text)!
    expect(bar[1]!.length / (bar[1]!.length + bar[2]!.length)).toBeCloseTo(8 / 12, 1)
    expect(text.split('\n')[0]).toBe('Apply · project dns · 12 steps')
  })

  it('collapses finished rows into counts when the terminal is short, keeping failed, running and next waiting rows', () => {
    const steps = Array.from({length: 500}, (_, i) => step(`start.c${i}`))
    const events: Parameters<typeof run>[0] = [[0, planOf(steps)]]
    for (let i = 0; i < 412; i++)
      events.push([1, {type: 'step_started', stepId: `start.c${i}`}], [2, {type: 'step_done', stepId: `start.c${i}`, durationMs: 1}])
    events.push(
      [3, {type: 'step_started', stepId: 'start.c412'}],
      [4, {type: 'step_failed', stepId: 'start.c412', durationMs: 1, error: 'boom', tail: ['last words']}],
    )
    events.push([5, {type: 'step_started', stepId: 'start.c413'}], [5, {type: 'step_started', stepId: 'start.c414'}])
    const text = frame(run(events), {height: 20})
    const lines = text.split('\n')
    expect(lines.length).toBeLessThan(20)
    expect(lines[1]).toBe('✔ 412 done')
    expect(text).toContain('✖ start c412')
    expect(text).toContain('│ last words')
    expect(text).toContain('start c413')
    expect(text).toContain('start c414')
    expect(text).toContain('· start c415')
    expect(text).toMatch(/… \d+ more waiting/)
    const shownWaiting = lines.filter((l) => l.startsWith('· start')).length
    expect(Number(/… (\d+) more waiting/.exec(text)![1]) + shownWaiting).toBe(500 - 415)
    expect(line(text, ' steps ·')).toContain('413/500 steps')
  })

  it('shows every row when they fit', () => {
    const text = frame(mixedModel(), {height: 40})
    expect(text).not.toMatch(/^✔ \d+ done/m)
    expect(text.split('\n').filter((l) => /^[·⧗⠋✔✖↷] /.test(l))).toHaveLength(12)
  })

  it('truncates long reasons to the width of the terminal', () => {
    const model = run([
      [0, planOf([step('start.a')])],
      [1, {type: 'step_skipped', stepId: 'start.a', reason: 'a very long reason '.repeat(20)}],
    ])
    const {lastFrame} = render(
      <Box width={40}>
        <RunView model={model} now={T0 + 10} width={40} height={undefined} colour={false} title="Apply" />
      </Box>,
    )
    const text = stripVTControlCharacters(lastFrame() ?? '')
    const skipped = line(text, 'start a')
    expect(skipped.length).toBe(40)
    expect(skipped.endsWith('…')).toBe(true)
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(40)
  })

  it('shows control characters from a process escaped, so they cannot move the cursor', () => {
    const model = run([
      [0, planOf([step('start.a')])],
      [1, {type: 'step_started', stepId: 'start.a'}],
      [2, {type: 'step_failed', stepId: 'start.a', durationMs: 1, error: 'bad\u001b[2Jthing\nsecond line', tail: ['\u001b[31mred\u001b[0m\tend']}],
    ])
    const {lastFrame} = render(<RunView model={model} now={T0 + 10} width={100} height={undefined} colour={false} title="Apply" />)
    const text = lastFrame() ?? ''
    expect(text).not.toContain('\u001b')
    expect(text).toContain('failed after 1ms: bad\\x1b[2Jthing second line')
    expect(text).toContain('│ \\x1b[31mred\\x1b[0m end')
  })

  it('says what Ctrl-C does: first waits for running steps, second kills them', () => {
    const started = run([
      [0, planOf([step('start.a'), step('start.b')])],
      [1, {type: 'step_started', stepId: 'start.a'}],
      [1, {type: 'step_started', stepId: 'start.b'}],
    ])
    const once = run([[2, {type: 'interrupt', count: 1, running: 2}]], started)
    expect(frame(once)).toContain('stopping: waiting for 2 running steps (Ctrl-C again to kill)')
    const twice = run([[3, {type: 'interrupt', count: 2, running: 1}]], once)
    expect(frame(twice)).toContain('killing 1 running step')
    expect(frame(twice)).not.toContain('Ctrl-C again')
  })

  it('says when the system is being brought down', () => {
    const model = run([
      [0, planOf([step('start.msgq')])],
      [1, {type: 'system_down', reason: 'core component msgq failed to start'}],
    ])
    expect(frame(model)).toContain('bringing the system down: core component msgq failed to start')
  })

  it('ends with the summary: counts, time and errors; steps never run say so', () => {
    const model = run([
      [0, planOf([step('start.a'), step('start.b')])],
      [1, {type: 'step_started', stepId: 'start.a'}],
      [2, {type: 'step_failed', stepId: 'start.a', durationMs: 1, error: 'exited 1'}],
      [
        3,
        summaryOf({
          ok: false,
          exitCode: 1,
          durationMs: 61_000,
          counts: {started: 0, stopped: 0, restarted: 0, reloaded: 0, updated: 0, changes: 2, failed: 1, skipped: 0},
          errors: ['start.a: exited 1'],
        }),
      ],
    ])
    const text = frame(model, {now: T0 + 999_999, title: 'Destroy'})
    expect(text).toContain('Destroy failed. 2 changes, 1 failed in 1m01s.')
    expect(text).toContain('  start.a: exited 1')
    expect(line(text, 'start b')).toMatch(/not run$/)
    expect(line(text, ' steps ·')).toContain('1/2 steps · 1m01s')
  })

  it('words the summary of a successful, an interrupted and a system-down run', () => {
    const base = run([[0, planOf([step('start.a')])]])
    expect(frame(run([[1, summaryOf()]], base))).toContain('Apply complete! 3 started, 1 stopped, 1 change in 4.2s.')
    expect(frame(run([[1, summaryOf({ok: false, interrupted: true})]], base))).toContain('Apply interrupted.')
    expect(frame(run([[1, summaryOf({ok: false, systemDown: true})]], base))).toContain('Apply failed: the system was brought down.')
  })
})
