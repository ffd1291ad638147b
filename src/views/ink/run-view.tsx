import {Box, Text} from 'ink'
import {finalSummaryHeight, FinalSummary} from './final-summary.js'
import {hiddenRowsText, layoutRows, oneLine} from './layout.js'
import {ProgressBar} from './progress-bar.js'
import {finishedSteps, type ViewModel} from './reducer.js'
import {stepLabel, StepLine} from './step-line.js'
import {plural, STATE_SYMBOL, tone} from './style.js'

const LABEL_WIDTH_MAX = 32

export interface RunViewProps {
  model: ViewModel
  /** Clock time (ms) of this frame: elapsed times and the spinner are measured against it. */
  now: number
  /** Terminal columns. */
  width: number
  /** Terminal rows; undefined when unknown (every row is shown). */
  height: number | undefined
  colour: boolean
  /** Names the run: `Apply`, `Destroy`, ... */
  title: string
  /** The summary is drawn apart, below: its lines are kept free for it. */
  summaryApart?: boolean
}

/**
 * The run as it goes: a row per step, the overall progress bar, Ctrl-C and system-down
 * notices, and once it is over, the summary. Kept one line shorter than the terminal:
 * a frame that fills it makes Ink clear the screen on every update (flicker).
 */
export function RunView({model, now, width, height, colour, title, summaryApart}: RunViewProps) {
  if (model.planId === undefined) return null
  const interruptText = model.interrupt ? interruptMessage(model.interrupt) : undefined
  const fixedLines = 3 + model.notes.length + (interruptText ? 1 : 0) + (model.systemDown ? 1 : 0) + (model.summary ? finalSummaryHeight(model.summary, title, width) : 0)
  const layout = layoutRows(model, height === undefined ? undefined : Math.max(1, height - 1 - fixedLines))
  const hiddenText = hiddenRowsText(layout.hidden, STATE_SYMBOL)
  const labelWidth = Math.min(LABEL_WIDTH_MAX, Math.max(0, ...layout.rows.map((visible) => stepLabel(visible.row).length)))
  const end = model.summary ? (model.startedAt ?? now) + model.summary.durationMs : now
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text {...tone(colour, {bold: true})}>{title}</Text>
        {` · project ${model.project} · ${plural(model.rows.size, 'step')}`}
      </Text>
      {hiddenText !== '' && (
        <Text wrap="truncate-end" {...tone(colour, {dimColor: true})}>
          {hiddenText}
        </Text>
      )}
      {layout.rows.map((visible) => (
        <StepLine key={visible.row.id} visible={visible} model={model} now={now} colour={colour} labelWidth={labelWidth} />
      ))}
      {layout.hidden.waiting > 0 && <Text {...tone(colour, {dimColor: true})}>{`… ${layout.hidden.waiting} more waiting`}</Text>}
      <Text> </Text>
      <ProgressBar
        finished={finishedSteps(model)}
        total={model.rows.size}
        failed={model.counts.failed}
        elapsedMs={end - (model.startedAt ?? now)}
        width={width}
        colour={colour}
      />
      {model.notes.map((text, i) => (
        <Text key={`note-${i}`} wrap="truncate-end" {...tone(colour, {dimColor: true})}>
          {oneLine(text)}
        </Text>
      ))}
      {interruptText && (
        <Text wrap="truncate-end" {...tone(colour, {color: 'yellow', bold: true})}>
          {interruptText}
        </Text>
      )}
      {model.systemDown && (
        <Text wrap="truncate-end" {...tone(colour, {color: 'red', bold: true})}>
          {`bringing the system down: ${oneLine(model.systemDown.reason)}`}
        </Text>
      )}
      {model.summary && !summaryApart && <FinalSummary summary={model.summary} title={title} colour={colour} />}
    </Box>
  )
}

export function interruptMessage(interrupt: {count: number; running: number}): string {
  const steps = `${interrupt.running} running ${interrupt.running === 1 ? 'step' : 'steps'}`
  if (interrupt.count >= 2) return `killing ${steps}`
  return `stopping: waiting for ${steps} (Ctrl-C again to kill)`
}
