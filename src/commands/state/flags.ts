import {Flags} from '@oclif/core'
import {lockTimeouts} from '../apply-flags.js'

/** How long a state command waits for the state lock. */
export const stateLockFlag = {
  'lock-timeout': Flags.string({summary: 'How long to wait for the state lock (default: fail at once, naming its holder).', helpValue: 'DURATION'}),
}

/** The lock request of a state command: its timeout, and notes (waiting, a stale lock taken over) on stderr. */
export function stateLock(value: string | undefined, note: (text: string) => void): {timeoutMs: number; onNote: (message: string) => void} {
  return {timeoutMs: lockTimeouts(value).stateLockTimeoutMs, onNote: note}
}
