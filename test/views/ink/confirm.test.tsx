import {cleanup, render} from 'ink-testing-library'
import {stripVTControlCharacters} from 'node:util'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {ConfirmPrompt, PlanLines} from '../../../src/views/ink/confirm.js'
import {compctlPlanOf} from './fixtures.js'

afterEach(cleanup)

function prompt(options: {destroy?: boolean} = {}) {
  const answers: string[] = []
  const view = render(<ConfirmPrompt destroy={options.destroy ?? false} colour={false} onAnswer={(value) => answers.push(value)} />)
  const text = () => stripVTControlCharacters(view.lastFrame() ?? '')
  return {...view, answers, text}
}

/** Input is read once Ink has attached its listener, after the first render's effects. */
async function type(stdin: {write(data: string): void; listenerCount(event: string): number}, ...keys: string[]) {
  await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBeGreaterThan(0))
  for (const key of keys) stdin.write(key)
}

describe('the confirmation prompt', () => {
  it('asks in the words of terraform apply', () => {
    const {text} = prompt()
    expect(text()).toContain('Do you want to perform these actions?')
    expect(text()).toContain("  Only 'yes' will be accepted to approve.")
    expect(text()).toMatch(/ {2}Enter a value: █$/m)
  })

  it('asks a stronger question for a destroy plan', () => {
    const {text} = prompt({destroy: true})
    expect(text()).toContain('Do you really want to stop every component?')
    expect(text()).toContain('There is no undo.')
  })

  it('echoes what is typed, handles backspace, and answers on Enter', async () => {
    const {stdin, answers, text} = prompt()
    await type(stdin, 'y', 'e', 'x', '\u007f', 's')
    await vi.waitFor(() => expect(text()).toContain('Enter a value: yes█'))
    expect(answers).toEqual([])
    stdin.write('\r')
    await vi.waitFor(() => expect(answers).toEqual(['yes']))
  })

  it('takes a pasted answer ending in a newline', async () => {
    const {stdin, answers} = prompt()
    await type(stdin, 'no\r')
    await vi.waitFor(() => expect(answers).toEqual(['no']))
  })

  it('answers nothing on Ctrl-C, and only once', async () => {
    const {stdin, answers} = prompt()
    await type(stdin, '\u0003', 'yes', '\r')
    await vi.waitFor(() => expect(answers).toEqual(['']))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(answers).toEqual([''])
  })
})

describe('the plan shown before the prompt', () => {
  it('lists every step with its symbol, heading and reason, then the counts', () => {
    const {lastFrame} = render(<PlanLines plan={compctlPlanOf(['start.msgq', 'stop.old', 'change.add-operator'])} colour={false} />)
    const text = stripVTControlCharacters(lastFrame() ?? '')
    expect(text).toContain('compctl will perform these actions (project dns):')
    expect(text).toContain('  + start msgq  (priority 0)  msgq is new')
    expect(text).toContain('  - stop old  (priority 0)  old is new')
    expect(text).toContain('  > change add-operator  add-operator is new')
    expect(text).toContain('Plan: 1 to start, 1 to stop, 1 change to run.')
  })
})
