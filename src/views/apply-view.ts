import type {CompctlEvent} from '../model/generated/events.js'
import type {CompctlPlan} from '../model/generated/plan.js'

/**
 * How `apply`, `destroy` and `supervise` show a run. The executor never prints: it emits
 * events, and one view (Ink in a terminal, plain lines, or NDJSON) turns them into output.
 */
export interface ApplyView {
  /** Shows the plan and asks for approval; resolves true when the user answers `yes`. */
  confirm(plan: CompctlPlan): Promise<boolean>
  /** One event of the run, in order; the last is a `summary`. */
  onEvent(event: CompctlEvent): void
  /** A plan about to run without a prompt (supervise's rounds); views that show plans only when asking may print it. */
  showPlan?(plan: CompctlPlan): void
  /** The run is over: flush output (the final summary stays on screen). */
  close(): Promise<void>
}
