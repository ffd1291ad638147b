import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import {diffLine, noChangesWhy, printable, summaryLine} from './plan-text.js'

/** GitHub rejects comments over 65,536 characters; stay under it with room for a footer. */
export const MARKDOWN_LIMIT = 65_000

const EMOJI: Record<PlanStep['action'], string> = {
  start: '🟢',
  stop: '🔴',
  restart: '🟡',
  reload: '🔵',
  update: '⚪',
  change: '🟣',
  move: '➡️',
}

/** Longest text of one table cell: a reason quoting a long error must not crowd out other steps. */
const CELL_LIMIT = 300

/** Room kept for the note on what was left out. */
const FOOTER_ROOM = 400

/** The part of the room the details keep when the table alone would fill it. */
const DETAILS_SHARE = 0.25

/** Field changes listed per step; the rest are counted. */
const DIFF_LINES_SHOWN = 50

/** Waits listed in a row; the rest are counted. */
const WAITS_SHOWN = 5

/** Text for a table cell: one line, no HTML, no column breaks. */
function cell(text: string): string {
  const line = printable(text).replace(/\s*\n\s*/g, ' ')
  const short = line.length > CELL_LIMIT ? line.slice(0, CELL_LIMIT - 1) + '…' : line
  return short.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|')
}

function stepRow(step: PlanStep): string {
  const target = step.action === 'move' ? `move \`${step.from}\` to \`${step.name}\`` : `${step.action} \`${step.name}\``
  const shown = step.waitsFor.slice(0, WAITS_SHOWN).map((w) => `\`${w}\``)
  if (step.waitsFor.length > WAITS_SHOWN) shown.push(`and ${step.waitsFor.length - WAITS_SHOWN} more`)
  const waits = shown.join(', ')
  return `| ${EMOJI[step.action]} | ${cell(target)} | ${step.kind ?? step.type} | ${step.type === 'component' ? step.priority : ''} | ${step.lock ? `\`${step.lock}\`` : ''} | ${cell(waits)} | ${cell(step.reason)} |`
}

function stepDetails(step: PlanStep): string {
  const lines = step.diff.slice(0, DIFF_LINES_SHOWN).map((d) => {
    const {symbol, text} = diffLine(d)
    return `${symbol} ${text}${d.impact === 'none' ? '' : `  (${d.impact})`}`
  })
  if (step.diff.length > DIFF_LINES_SHOWN) lines.push(`… and ${step.diff.length - DIFF_LINES_SHOWN} more field changes`)
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
      ? `### compctl plan: \`${plan.project}\`\n\nNo changes. ${noChangesWhy(plan, 'the file')}\n`
      : `### compctl plan: \`${plan.project}\`\n\n**${plan.summary.total} step${plan.summary.total === 1 ? '' : 's'}:** ${summaryLine(plan.summary)}.\n\n`
  if (plan.steps.length === 0) return head
  const tableHead = '| | step | kind | priority | lock | waits for | reason |\n|---|---|---|---|---|---|---|\n'
  const detailsHead = '\n#### Details\n\n'
  const budget = MARKDOWN_LIMIT - FOOTER_ROOM - head.length - tableHead.length
  const rowTexts = plan.steps.map((step) => stepRow(step) + '\n')
  const blocks = plan.steps.map((step) => (step.diff.length > 0 || step.batches ? stepDetails(step) : ''))
  const length = (texts: string[]) => texts.reduce((sum, t) => sum + t.length, 0)
  // When not everything fits, the details keep a share of the room so a huge plan still shows some.
  const allBlocks = length(blocks)
  const fits = length(rowTexts) + detailsHead.length + allBlocks <= budget
  const rowBudget = fits ? budget : budget - Math.min(allBlocks + detailsHead.length, Math.floor(budget * DETAILS_SHARE))

  let table = ''
  let rows = 0
  while (rows < rowTexts.length && table.length + rowTexts[rows]!.length <= rowBudget) table += rowTexts[rows++]
  const withDiff = blocks.slice(0, rows).filter((b) => b !== '')
  let section = ''
  let details = 0
  for (const block of withDiff) {
    if (table.length + detailsHead.length + section.length + block.length > budget) break
    section += block
    details++
  }
  let out = head + tableHead + table + (details > 0 ? detailsHead + section : '')
  const omitted: string[] = []
  if (rows < plan.steps.length) omitted.push(`${plan.steps.length - rows} of ${plan.steps.length} steps`)
  if (details < withDiff.length) omitted.push(`the field changes of ${withDiff.length - details} steps`)
  if (omitted.length > 0)
    out += `\n> [!NOTE]\n> Left out to stay under ${MARKDOWN_LIMIT.toLocaleString('en-US')} characters: ${omitted.join(' and ')}. Run \`compctl plan\` or \`compctl show PLANFILE\` for the whole plan.\n`
  return out
}
