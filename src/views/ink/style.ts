import type {PlanStep} from '../../model/generated/plan.js'
import type {RowState} from './reducer.js'

/** The text styles the view uses; all of them are dropped when colour is off. */
export interface Tone {
  color?: string
  bold?: boolean
  dimColor?: boolean
}

export function tone(colour: boolean, style: Tone): Tone {
  return colour ? style : {}
}

export const STATE_SYMBOL: Record<RowState, string> = {
  waiting: '·',
  locked: '⧗',
  running: '⠋',
  done: '✔',
  failed: '✖',
  skipped: '↷',
}

export const STATE_TONE: Record<RowState, Tone> = {
  waiting: {dimColor: true},
  locked: {color: 'yellow'},
  running: {color: 'cyan'},
  done: {color: 'green'},
  failed: {color: 'red', bold: true},
  skipped: {color: 'gray'},
}

export const ACTION_TONE: Record<PlanStep['action'], Tone> = {
  start: {color: 'green'},
  stop: {color: 'red'},
  restart: {color: 'yellow'},
  reload: {color: 'cyan'},
  update: {color: 'blue'},
  change: {color: 'magenta'},
  move: {color: 'blue'},
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** The spinner frame at clock time `now`: every running row turns together. */
export function spinnerFrame(now: number): string {
  return SPINNER[Math.floor(now / 100) % SPINNER.length]!
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}
