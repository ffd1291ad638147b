import {Box, Text, useInput} from 'ink'
import {useRef, useState} from 'react'
import type {CompctlPlan} from '../../model/generated/plan.js'
import {ACTION_SYMBOL, stepHeading, summaryLine} from '../plan-text.js'
import {oneLine} from './layout.js'
import {ACTION_TONE, tone} from './style.js'

/** The plan being approved: a line per step with its reason, and the counts. */
export function PlanLines({plan, colour}: {plan: CompctlPlan; colour: boolean}) {
  if (plan.steps.length === 0) return <Text {...tone(colour, {color: 'green'})}>{`No changes. The running system matches ${plan.source.file}.`}</Text>
  return (
    <Box flexDirection="column">
      <Text>{`compctl will perform these actions (project ${plan.project}):`}</Text>
      <Text> </Text>
      {plan.steps.map((step) => (
        <Text key={step.id}>
          {'  '}
          <Text {...tone(colour, {...ACTION_TONE[step.action], bold: true})}>{`${ACTION_SYMBOL[step.action]} ${stepHeading(step)}`}</Text>
          <Text {...tone(colour, {dimColor: true})}>{`  ${oneLine(step.reason)}`}</Text>
        </Text>
      ))}
      <Text> </Text>
      <Text>
        <Text {...tone(colour, {bold: true})}>Plan:</Text> {summaryLine(plan.summary)}.
      </Text>
    </Box>
  )
}

function questionLines(destroy: boolean): string[] {
  if (destroy)
    return [
      'Do you really want to stop every component?',
      '  compctl will stop every component described above.',
      "  There is no undo. Only 'yes' will be accepted to confirm.",
    ]
  return ['Do you want to perform these actions?', '  compctl will perform the actions described above.', "  Only 'yes' will be accepted to approve."]
}

/** The question in the style of `terraform apply`, with the value typed so far. */
export function PromptLines({destroy, value, cursor, colour}: {destroy: boolean; value: string; cursor: boolean; colour: boolean}) {
  const [question, ...explanation] = questionLines(destroy)
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text {...tone(colour, {bold: true})}>{question}</Text>
      {explanation.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
      <Text> </Text>
      <Text>
        <Text {...tone(colour, {bold: true})}>{'  Enter a value:'}</Text> {value}
        {cursor ? '█' : ''}
      </Text>
    </Box>
  )
}

/**
 * Reads the answer: printable keys append, backspace deletes, Enter submits (a pasted
 * `yes\r` too); Ctrl-C or Ctrl-D submit nothing, which declines.
 */
export function ConfirmPrompt({destroy, colour, onAnswer}: {destroy: boolean; colour: boolean; onAnswer: (value: string) => void}) {
  const [value, setValue] = useState('')
  const typed = useRef('')
  const answered = useRef(false)
  const submit = (text: string): void => {
    if (answered.current) return
    answered.current = true
    onAnswer(text)
  }
  useInput((input, key) => {
    if (key.ctrl && (input === 'c' || input === 'd')) return submit('')
    if (key.return) return submit(typed.current)
    if (key.backspace || key.delete) typed.current = typed.current.slice(0, -1)
    else {
      const newline = input.search(/[\r\n]/)
      typed.current += (newline === -1 ? input : input.slice(0, newline)).replace(/[\u0000-\u001f\u007f]/g, '')
      if (newline !== -1) return submit(typed.current)
    }
    setValue(typed.current)
  })
  return <PromptLines destroy={destroy} value={value} cursor colour={colour} />
}
