import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import {diffLine, summaryLine} from './plan-text.js'

/** GitHub rejects comments over 65,536 characters; stay under it with room for a footer. */
export const MARKDOWN_LIMIT = 65_000

const EMOJI: Record<PlanStep['action'], string> = {
  start: '🟢',
  stop: '🔴',
  restart: '🟡',
  reload: '🔵',
  update: '⚪',
  change: '🟣',
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function stepRow(step: PlanStep): string {
  const target = `${step.action} \`${step.name}\``
  const waits = step.waitsFor.map((w) => `\`${w}\``).join(', ')
  return `| ${EMOJI[step.action]} | ${cell(target)} | ${step.kind ?? step.type} | ${step.type === 'component' ? step.priority : ''} | ${step.lock ? `\`${step.lock}\`` : ''} | ${cell(waits)} | ${cell(step.reason)} |`
}

function stepDetails(step: PlanStep): string {
  const lines = step.diff.map((d) => {
    const {symbol, text} = diffLine(d)
    return `${symbol} ${text}${d.impact === 'none' ? '' : `  (${d.impact})`}`
  })
  if (step.batches) lines.push(`batches: ${step.batches.map((b) => `[${b.join(', ')}]`).join(' → ')}`)
  return `<details><summary>${step.action} <code>${step.name}</code></summary>\n\n\`\`\`diff\n${lines.join('\n').replace(/```/g, "'''")}\n\`\`\`\n</details>\n`
}

/**
 * A plan as Markdown for a pull-request comment or a CI job summary. Never longer than
 * MARKDOWN_LIMIT characters: what does not fit is left out, and the text says so.
 */
export function renderPlanMarkdown(plan: CompctlPlan): string {
  const head =
    plan.steps.length === 0
      ? `### compctl plan: \`${plan.project}\`\n\nNo changes. The running system matches the file.\n`
      : `### compctl plan: \`${plan.project}\`\n\n**${plan.summary.total} step${plan.summary.total === 1 ? '' : 's'}:** ${summaryLine(plan.summary)}.\n\n`
  if (plan.steps.length === 0) return head
  const tableHead = '| | step | kind | priority | lock | waits for | reason |\n|---|---|---|---|---|---|---|\n'
  const footerRoom = 400
  let out = head + tableHead
  let rows = 0
  for (const step of plan.steps) {
    const row = stepRow(step) + '\n'
    if (out.length + row.length > MARKDOWN_LIMIT - footerRoom) break
    out += row
    rows++
  }
  const withDiff = plan.steps.slice(0, rows).filter((s) => s.diff.length > 0 || s.batches)
  let details = 0
  if (withDiff.length > 0) {
    let section = '\n#### Details\n\n'
    for (const step of withDiff) {
      const block = stepDetails(step)
      if (out.length + section.length + block.length > MARKDOWN_LIMIT - footerRoom) break
      section += block
      details++
    }
    if (details > 0) out += section
  }
  const omitted: string[] = []
  if (rows < plan.steps.length) omitted.push(`${plan.steps.length - rows} of ${plan.steps.length} steps`)
  if (details < withDiff.length) omitted.push(`the field changes of ${withDiff.length - details} steps`)
  if (omitted.length > 0)
    out += `\n> [!NOTE]\n> Left out to stay under ${MARKDOWN_LIMIT.toLocaleString('en-US')} characters: ${omitted.join(' and ')}. Run \`compctl plan\` or \`compctl show PLANFILE\` for the whole plan.\n`
  return out
}
