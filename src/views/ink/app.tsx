import {Box, Static} from 'ink'
import type {SummaryEvent} from '../../model/generated/events.js'
import type {CompctlPlan} from '../../model/generated/plan.js'
import {ConfirmPrompt, PlanLines, PromptLines} from './confirm.js'
import {FinalSummary} from './final-summary.js'
import type {ViewModel} from './reducer.js'
import {RunView} from './run-view.js'

/** The run's last frame, but for its summary: printed for good once the view closes. */
export interface LastFrame {
  model: ViewModel
  now: number
  width: number
  height: number | undefined
}

/** What is printed once and stays above the live part: the plan, the answer, earlier runs' summaries, the last frame. */
export type Printed =
  | {kind: 'plan'; plan: CompctlPlan}
  | {kind: 'answer'; destroy: boolean; value: string}
  | {kind: 'run'; summary: SummaryEvent}
  | {kind: 'last'; frame: LastFrame}

/** Everything on screen, replaced as a whole on every change. */
export interface Screen {
  printed: Printed[]
  prompt?: {destroy: boolean; onAnswer: (value: string) => void}
  model: ViewModel
  now: number
  width: number
  height: number | undefined
  /** The view is closed: its last frame is printed, and only the run's summary is live. */
  closed?: boolean
}

export function App({screen, colour, title}: {screen: Screen; colour: boolean; title: string}) {
  return (
    <>
      <Static items={screen.printed}>{(printed, i) => <PrintedItem key={i} printed={printed} colour={colour} title={title} />}</Static>
      {screen.closed ? (
        screen.model.summary && <FinalSummary summary={screen.model.summary} title={title} colour={colour} />
      ) : screen.prompt ? (
        <ConfirmPrompt destroy={screen.prompt.destroy} colour={colour} onAnswer={screen.prompt.onAnswer} />
      ) : (
        <RunView model={screen.model} now={screen.now} width={screen.width} height={screen.height} colour={colour} title={title} />
      )}
    </>
  )
}

function PrintedItem({printed, colour, title}: {printed: Printed; colour: boolean; title: string}) {
  if (printed.kind === 'plan') return <PlanLines plan={printed.plan} colour={colour} />
  if (printed.kind === 'answer')
    return (
      <Box marginBottom={1}>
        <PromptLines destroy={printed.destroy} value={printed.value} cursor={false} colour={colour} />
      </Box>
    )
  if (printed.kind === 'last') return <RunView {...printed.frame} summaryApart colour={colour} title={title} />
  return <FinalSummary summary={printed.summary} title={title} colour={colour} />
}
