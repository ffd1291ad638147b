import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import type {LaunchedProcess} from '../process/launch.js'
import type {StateJournal} from '../state/journal.js'

/** What a step's action gets from the executor. */
export interface StepContext {
  step: PlanStep
  plan: CompctlPlan
  journal: StateJournal
  /** Aborted on a second Ctrl-C, or when the step's lock is lost: end what is running. */
  signal: AbortSignal
  progress(message: string, extra?: {pid?: number; attempt?: number; batch?: number; target?: string; phase?: string}): void
  output(line: string, target?: string): void
  /** A process was launched (supervise watches its exit). */
  launched(process: LaunchedProcess): void
}

export type StepResult =
  | {ok: true; message?: string; pid?: number}
  | {
      ok: false
      error: string
      tail?: string[]
      /** A component failed to start: its kind decides what happens to the rest. */
      startFailure?: boolean
      /** A change with onFailure: abort failed: start no further step. */
      abortApply?: boolean
    }

export const nowIso = (): string => new Date().toISOString()
