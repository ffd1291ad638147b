import {Flags} from '@oclif/core'
import {lockTimeouts} from '../apply-flags.js'
import {stateFlags} from '../state-flags.js'

/** Which instance's state a state command changes, and how long it waits for that state's lock. */
export const stateLockFlag = {
  ...stateFlags,
  'lock-timeout': Flags.string({summary: 'How long to wait for the state lock (default: fail at once, naming its holder).', helpValue: 'DURATION'}),
}

/** The lock request of a state command: its instance, its timeout, and notes (waiting, a stale lock taken over) on stderr. */
export function stateLock(
  flags: {'lock-timeout'?: string | undefined; instance?: string | undefined},
  note: (text: string) => void,
): {timeoutMs: number; onNote: (message: string) => void; instance?: string} {
  return {timeoutMs: lockTimeouts(flags['lock-timeout']).stateLockTimeoutMs, onNote: note, ...(flags.instance === undefined ? {} : {instance: flags.instance})}
}
