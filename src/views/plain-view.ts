import {createInterface} from 'node:readline/promises'
import type {CompctlEvent, SummaryEvent} from '../model/generated/events.js'
import type {CompctlPlan} from '../model/generated/plan.js'
import type {Palette} from '../util/colour.js'
import {formatMs} from '../util/duration.js'
import type {ApplyView} from './apply-view.js'
import {renderPlanText} from './plan-text.js'

export const CONFIRM_QUESTION = 'Do you want to perform these actions?'

/** Terraform's wording: only the exact word approves. */
export async function askForApproval(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<boolean> {
  const rl = createInterface({input, output, terminal: false})
  output.write(`\n${CONFIRM_QUESTION}\n  compctl will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `)
  try {
    const answer = await rl.question('')
    return answer.trim() === 'yes'
  } catch {
    return false
  } finally {
    rl.close()
  }
}

/** The closing line of a run; `title` names it: Apply, Destroy, Supervise. */
export function summaryText(summary: Omit<SummaryEvent, 'type' | 'time'>, title = 'Apply'): string {
  const c = summary.counts
  const done = `${c.moved ? `${c.moved} moved, ` : ''}${c.started} started, ${c.stopped} stopped, ${c.restarted} restarted, ${c.reloaded} reloaded, ${c.updated} updated, ${c.changes} change${c.changes === 1 ? '' : 's'} run`
  const time = formatMs(summary.durationMs)
  if (summary.interrupted) return `Interrupted after ${time}: ${done}; ${c.failed} failed, ${c.skipped} not run. The state is saved.`
  if (summary.ok) return `${title} complete in ${time}: ${done}.`
  return `${title} failed after ${time}: ${done}; ${c.failed} failed, ${c.skipped} skipped.`
}

/** One plain line per event: for logs and CI, where there is no terminal to redraw. */
export class PlainView implements ApplyView {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly input: NodeJS.ReadableStream,
    private readonly colour: Palette,
    private readonly title = 'Apply',
  ) {}

  async confirm(plan: CompctlPlan): Promise<boolean> {
    this.out.write(renderPlanText(plan, this.colour))
    return askForApproval(this.input, this.out)
  }

  showPlan(plan: CompctlPlan): void {
    this.out.write(renderPlanText(plan, this.colour))
  }

  onEvent(event: CompctlEvent): void {
    const {paint} = this.colour
    const line = (text: string) => this.out.write(text + '\n')
    switch (event.type) {
      case 'plan':
        line(event.steps.length === 0 ? 'No changes: the running system matches the file.' : `Running ${event.steps.length} step${event.steps.length === 1 ? '' : 's'} (plan ${event.planId}).`)
        break
      case 'step_started':
        line(`[${event.stepId}] started`)
        break
      case 'step_progress':
        line(`[${event.stepId}] ${event.target ? `${event.target}: ` : ''}${event.message}`)
        break
      case 'step_output':
        line(paint('dim', `[${event.stepId}] ${event.target ? `${event.target} ` : ''}| ${event.line}`))
        break
      case 'lock_waiting': {
        const holders = event.holders.map((h) => `${h.project ?? '?'} on ${h.host ?? '?'} pid ${h.pid ?? '?'} since ${h.since ?? '?'}`).join('; ')
        line(`[${event.stepId}] waiting for lock ${event.lock} (position ${event.position}${holders ? `; held by ${holders}` : ''})`)
        break
      }
      case 'lock_acquired':
        line(`[${event.stepId}] took lock ${event.lock}`)
        break
      case 'step_done':
        line(paint('green', `[${event.stepId}] done in ${formatMs(event.durationMs)}${event.message ? `: ${event.message}` : ''}`))
        break
      case 'step_failed':
        line(paint('red', `[${event.stepId}] FAILED after ${formatMs(event.durationMs)}: ${event.error}`))
        for (const tail of event.tail ?? []) line(paint('dim', `[${event.stepId}]   | ${tail}`))
        break
      case 'step_skipped':
        line(paint('yellow', `[${event.stepId}] skipped: ${event.reason}`))
        break
      case 'interrupt':
        line(
          event.count === 1
            ? `stopping: waiting for ${event.running} running step${event.running === 1 ? '' : 's'} (Ctrl-C again to kill)`
            : `killing ${event.running} running step${event.running === 1 ? '' : 's'}`,
        )
        break
      case 'system_down':
        line(paint('red', `system down: ${event.reason}; stopping every managed component`))
        break
      case 'summary':
        line(paint(event.ok ? 'green' : 'red', summaryText(event, this.title)))
        for (const error of event.ok ? [] : (event.errors ?? [])) line(`  ${error}`)
        break
    }
  }

  async close(): Promise<void> {}
}

/** `--json`: every event as one line of JSON on stdout (schemas/events.schema.json). */
export class NdjsonView implements ApplyView {
  constructor(private readonly out: NodeJS.WritableStream) {}

  async confirm(): Promise<boolean> {
    return false
  }

  onEvent(event: CompctlEvent): void {
    this.out.write(JSON.stringify(event) + '\n')
  }

  async close(): Promise<void> {}
}
