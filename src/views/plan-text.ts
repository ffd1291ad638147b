import type {CompctlPlan, DiffEntry, PlanStep} from '../model/generated/plan.js'
import type {Palette, Style} from '../util/colour.js'

export const ACTION_SYMBOL: Record<PlanStep['action'], string> = {
  start: '+',
  stop: '-',
  restart: '~',
  reload: '~',
  update: '~',
  change: '>',
  move: '→',
}

export const ACTION_COLOUR: Record<PlanStep['action'], Style> = {
  start: 'green',
  stop: 'red',
  restart: 'yellow',
  reload: 'cyan',
  update: 'blue',
  change: 'magenta',
  move: 'blue',
}

/**
 * Text from outside (a reason quoting a process's error) as it may reach a terminal: control
 * characters shown as `\xNN` so they cannot move the cursor or colour the screen.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export function showValue(value: unknown): string {
  const text = printable(JSON.stringify(value) ?? 'undefined')
  return text.length > 120 ? text.slice(0, 117) + '...' : text
}

export function diffLine(d: DiffEntry): {symbol: string; text: string} {
  if (d.before === undefined) return {symbol: '+', text: `${d.path}: ${showValue(d.after)}`}
  if (d.after === undefined) return {symbol: '-', text: `${d.path}: ${showValue(d.before)}`}
  return {symbol: '~', text: `${d.path}: ${showValue(d.before)} → ${showValue(d.after)}`}
}

/** One sentence of counts: `2 to start, 1 to stop, 1 change.` */
export function summaryLine(summary: CompctlPlan['summary']): string {
  const parts: string[] = []
  for (const action of ['move', 'start', 'stop', 'restart', 'reload', 'update'] as const)
    if ((summary[action] ?? 0) > 0) parts.push(`${summary[action]} to ${action}`)
  if (summary.change > 0) parts.push(`${summary.change} change${summary.change === 1 ? '' : 's'} to run`)
  return parts.join(', ')
}

export function stepHeading(step: PlanStep): string {
  if (step.action === 'move') return `move ${step.from} to ${step.name}`
  const details = [step.kind, step.type === 'component' ? `priority ${step.priority}` : undefined].filter(Boolean).join(', ')
  return `${step.action} ${step.name}${details ? `  (${details})` : ''}${step.lock ? `  lock: ${step.lock}` : ''}`
}

/** Why an empty plan is empty: nothing to stop under --destroy, else nothing differs from `file`. */
export function noChangesWhy(plan: CompctlPlan, file: string): string {
  return plan.options.destroy ? 'compctl manages nothing here, so there is nothing to stop.' : `The running system matches ${file}.`
}

/** Human text of a plan, in the style of `terraform plan`. */
export function renderPlanText(plan: CompctlPlan, colour: Palette): string {
  const {paint} = colour
  const lines: string[] = []
  if (plan.steps.length === 0) {
    lines.push(paint('green', `No changes. ${noChangesWhy(plan, plan.source.file)}`))
    return lines.join('\n') + '\n'
  }
  lines.push(`compctl will perform these actions (project ${plan.project}):`, '')
  for (const step of plan.steps) {
    lines.push(`  ${paint(['bold', ACTION_COLOUR[step.action]], `${ACTION_SYMBOL[step.action]} ${stepHeading(step)}`)}`)
    for (const line of printable(step.reason).split('\n')) lines.push(`      ${paint('dim', line)}`)
    for (const d of step.diff) {
      const {symbol, text} = diffLine(d)
      const impact = d.impact === 'none' ? '' : paint('dim', `  (${d.impact})`)
      lines.push(`      ${paint(symbol === '+' ? 'green' : symbol === '-' ? 'red' : 'yellow', symbol)} ${text}${impact}`)
    }
    if (step.batches && step.batches.length > 0)
      lines.push(`      batches: ${step.batches.map((b) => `[${b.join(', ')}]`).join(' → ')}`)
    if (step.waitsFor.length > 0) lines.push(`      ${paint('dim', `waits for: ${step.waitsFor.join(', ')}`)}`)
    lines.push('')
  }
  lines.push(`${paint('bold', 'Plan:')} ${summaryLine(plan.summary)}.`)
  return lines.join('\n') + '\n'
}
