import {Box, Text} from 'ink'
import type {SummaryEvent} from '../../model/generated/events.js'
import {formatMs} from '../../util/duration.js'
import {oneLine} from './layout.js'
import {tone, type Tone} from './style.js'

const ERRORS_SHOWN = 5

export function summaryHeading(summary: SummaryEvent, title: string): {text: string; tone: Tone} {
  if (summary.interrupted) return {text: `${title} interrupted.`, tone: {color: 'yellow', bold: true}}
  if (summary.systemDown) return {text: `${title} failed: the system was brought down.`, tone: {color: 'red', bold: true}}
  if (!summary.ok) return {text: `${title} failed.`, tone: {color: 'red', bold: true}}
  return {text: `${title} complete!`, tone: {color: 'green', bold: true}}
}

/** The counts that are not zero, e.g. `3 started, 1 stopped, 1 change in 4.2s.` */
export function summaryCounts(summary: SummaryEvent): string {
  const c = summary.counts
  const parts = [
    [c.moved ?? 0, 'moved'],
    [c.started, 'started'],
    [c.stopped, 'stopped'],
    [c.restarted, 'restarted'],
    [c.reloaded, 'reloaded'],
    [c.updated, 'updated'],
    [c.changes, c.changes === 1 ? 'change' : 'changes'],
    [c.failed, 'failed'],
    [c.skipped, 'skipped'],
  ]
    .filter(([count]) => count !== 0)
    .map(([count, word]) => `${count} ${word}`)
  return `${parts.length > 0 ? parts.join(', ') : 'nothing to do'} in ${formatMs(summary.durationMs)}.`
}

/** How many lines FinalSummary takes, so the rows above it can be fitted to the terminal. */
export function finalSummaryHeight(summary: SummaryEvent, title: string, width: number): number {
  const errors = summary.errors?.length ?? 0
  const firstLine = summaryHeading(summary, title).text.length + 1 + summaryCounts(summary).length
  return Math.ceil(firstLine / Math.max(1, width)) + Math.min(errors, ERRORS_SHOWN) + (errors > ERRORS_SHOWN ? 1 : 0)
}

/** The last lines of a run: what it did, how long it took, and its errors. */
export function FinalSummary({summary, title, colour}: {summary: SummaryEvent; title: string; colour: boolean}) {
  const heading = summaryHeading(summary, title)
  const errors = summary.errors ?? []
  return (
    <Box flexDirection="column">
      <Text>
        <Text {...tone(colour, heading.tone)}>{heading.text}</Text> {summaryCounts(summary)}
      </Text>
      {errors.slice(0, ERRORS_SHOWN).map((error, i) => (
        <Text key={i} wrap="truncate-end" {...tone(colour, {color: 'red'})}>
          {'  '}
          {oneLine(error)}
        </Text>
      ))}
      {errors.length > ERRORS_SHOWN && <Text {...tone(colour, {dimColor: true})}>{`  … ${errors.length - ERRORS_SHOWN} more errors`}</Text>}
    </Box>
  )
}
