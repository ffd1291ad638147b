import {Box, Text} from 'ink'
import {oneLine, rowDetail, type VisibleRow} from './layout.js'
import type {StepRow, ViewModel} from './reducer.js'
import {spinnerFrame, STATE_SYMBOL, STATE_TONE, tone} from './style.js'

export function stepLabel(row: StepRow): string {
  return `${row.action} ${row.name}`
}

/** One step: symbol, label, what it is doing; a failed step adds the tail of its output. */
export function StepLine({visible, model, now, colour, labelWidth}: {visible: VisibleRow; model: ViewModel; now: number; colour: boolean; labelWidth: number}) {
  const {row, tailLines} = visible
  const symbol = row.state === 'running' ? spinnerFrame(now) : STATE_SYMBOL[row.state]
  const quiet = row.state === 'waiting' || row.state === 'skipped'
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text {...tone(colour, STATE_TONE[row.state])}>{symbol}</Text>{' '}
        <Text {...tone(colour, {bold: row.state === 'running' || row.state === 'failed'})}>{stepLabel(row).padEnd(labelWidth)}</Text>
        {'  '}
        <Text {...tone(colour, quiet ? {dimColor: true} : row.state === 'failed' ? {color: 'red'} : {})}>{rowDetail(row, model, now)}</Text>
      </Text>
      {tailLines > 0 &&
        row.tail.slice(-tailLines).map((line, i) => (
          <Text key={i} wrap="truncate-end" {...tone(colour, {dimColor: true})}>
            {'    │ '}
            {oneLine(line)}
          </Text>
        ))}
    </Box>
  )
}
