import type {LockHolder} from '../../model/generated/events.js'
import {formatMs} from '../../util/duration.js'
import {printable} from '../plan-text.js'
import {listGet, listToArray} from './immutable-list.js'
import {type RowState, type StepRow, type ViewModel} from './reducer.js'

/** One step on screen, with how many lines of its failure tail fit. */
export interface VisibleRow {
  row: StepRow
  tailLines: number
}

/** The rows that fit, in plan order, and how many of each state were left off. */
export interface RowLayout {
  rows: VisibleRow[]
  hidden: Record<RowState, number>
}

/**
 * Picks the rows that fit in `maxLines` (undefined: no limit). When they do not all fit,
 * failed steps stay (with as much of their tail as fits), then running and lock-waiting
 * ones, then the next waiting ones; finished steps go first, keeping the latest.
 * Two lines are kept back for the counts of what was left off.
 */
export function layoutRows(model: ViewModel, maxLines: number | undefined): RowLayout {
  const all = listToArray(model.rows)
  const hidden: Record<RowState, number> = {waiting: 0, locked: 0, running: 0, done: 0, failed: 0, skipped: 0}
  const full = all.map((row) => ({row, tailLines: row.state === 'failed' ? row.tail.length : 0}))
  const fullLines = full.reduce((sum, visible) => sum + 1 + visible.tailLines, 0)
  if (maxLines === undefined || fullLines <= maxLines) return {rows: full, hidden}

  let budget = Math.max(0, maxLines - 2)
  const chosen = new Map<number, number>()
  const take = (positions: number[], withTail: boolean): void => {
    for (const position of positions) {
      if (budget <= 0) return
      const row = all[position]!
      const tailLines = withTail ? Math.min(row.tail.length, budget - 1) : 0
      chosen.set(position, tailLines)
      budget -= 1 + tailLines
    }
  }
  const byState = (states: RowState[]): number[] => all.flatMap((row, position) => (states.includes(row.state) ? [position] : []))
  const latestFirst = (positions: number[]): number[] => positions.sort((a, b) => (all[b]!.finishedOrder ?? 0) - (all[a]!.finishedOrder ?? 0))

  take(latestFirst(byState(['failed'])), true)
  take(byState(['running', 'locked']), false)
  take(byState(['waiting']), false)
  take(latestFirst(byState(['done', 'skipped'])), false)

  const rows: VisibleRow[] = []
  all.forEach((row, position) => {
    const tailLines = chosen.get(position)
    if (tailLines === undefined) hidden[row.state] += 1
    else rows.push({row, tailLines})
  })
  return {rows, hidden}
}

/** The line that stands for the rows a layout left off, except waiting ones: `✔ 412 done · ↷ 3 skipped`. */
export function hiddenRowsText(hidden: Record<RowState, number>, symbols: Record<RowState, string>): string {
  const words: Record<RowState, string> = {
    done: 'done',
    skipped: 'skipped',
    failed: 'failed',
    running: 'running',
    locked: 'waiting for a lock',
    waiting: 'waiting',
  }
  return FINISHED_FIRST.filter((state) => hidden[state] > 0)
    .map((state) => `${symbols[state]} ${hidden[state]} ${words[state]}`)
    .join(' · ')
}

const FINISHED_FIRST: RowState[] = ['done', 'skipped', 'failed', 'running', 'locked']
const FINISHED: RowState[] = ['done', 'skipped', 'failed']

/**
 * Text from outside (a process's output, an error, a reason) as one safe line: control
 * characters shown escaped so they cannot move the cursor, tabs and newlines as spaces.
 */
export function oneLine(text: string): string {
  return printable(text).replace(/[\t\n]/g, ' ')
}

/** Elapsed time of something still going: tenths of a second under a minute. */
export function formatElapsed(ms: number): string {
  const clamped = Math.max(0, ms)
  if (clamped < 60_000) return `${(clamped / 1000).toFixed(1)}s`
  return formatMs(clamped)
}

export function holderText(holder: LockHolder, project: string | undefined): string {
  const who = oneLine(holder.step ?? holder.id)
  const where = [
    holder.project && holder.project !== project ? `project ${oneLine(holder.project)}` : undefined,
    holder.pid ? `pid ${holder.pid}` : undefined,
    holder.host ? `on ${oneLine(holder.host)}` : undefined,
  ]
    .filter(Boolean)
    .join(' ')
  return where ? `${who} (${where})` : who
}

/** What a row says after its name, by state. */
export function rowDetail(row: StepRow, model: ViewModel, now: number): string {
  switch (row.state) {
    case 'waiting': {
      if (model.summary) return 'not run'
      const pending = row.waitsFor.filter((id) => {
        const position = model.index.get(id)
        const other = position === undefined ? undefined : listGet(model.rows, position)
        return other !== undefined && !FINISHED.includes(other.state)
      })
      return pending.length > 0 ? `waiting for ${pending.join(', ')}` : 'waiting'
    }
    case 'locked': {
      const wait = row.lockWait
      if (!wait) return 'waiting for a lock'
      const holders = wait.holders.length > 0 ? ` · held by ${wait.holders.map((h) => holderText(h, model.project)).join(', ')}` : ''
      return `waiting for lock ${oneLine(wait.lock)} (queue position ${wait.position}, ${formatElapsed(now - wait.since)})${holders}`
    }
    case 'running': {
      const parts = [formatElapsed(now - (row.runningSince ?? now))]
      const progress = row.progress
      if (progress?.batch !== undefined) parts.push(row.batchCount > 0 ? `batch ${progress.batch}/${row.batchCount}` : `batch ${progress.batch}`)
      if (progress?.target !== undefined) parts.push(`target ${oneLine(progress.target)}`)
      if (progress?.attempt !== undefined && progress.attempt > 1) parts.push(`attempt ${progress.attempt}`)
      // A change's message repeats its target ("ns2: verify"); the target is shown already.
      const message =
        progress?.target !== undefined && progress.message.startsWith(`${progress.target}: `)
          ? progress.message.slice(progress.target.length + 2)
          : progress?.message
      if (message) parts.push(oneLine(message))
      return parts.join(' · ')
    }
    case 'done':
      return `done in ${formatMs(row.durationMs ?? 0)}${row.message ? ` · ${oneLine(row.message)}` : ''}`
    case 'failed':
      return `failed after ${formatMs(row.durationMs ?? 0)}: ${oneLine(row.message ?? 'no reason given')}`
    case 'skipped':
      return `skipped: ${oneLine(row.message ?? 'no reason given')}`
  }
}
