import {Flags} from '@oclif/core'
import {UserError} from '../errors.js'
import {parseDuration} from '../util/duration.js'
import {colorFlag, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {inputFlags, inputSources} from './input-flags.js'

/** Flags of every command that runs steps: apply, destroy, supervise. */
export const stepFlags = {
  ...stateFlags,
  parallelism: Flags.integer({summary: 'Steps run at once when their order allows (default: settings.parallelism, else 4).', min: 1, max: 256}),
  'lock-timeout': Flags.string({
    summary: 'How long to wait for the state lock (default: fail at once) and for each named lock (default: until granted).',
    helpValue: 'DURATION',
  }),
}

/** Flags `apply` and `destroy` share. */
export const runFlags = {
  file: fileFlag,
  'auto-approve': Flags.boolean({summary: 'Skip the confirmation prompt (required without a terminal).'}),
  json: Flags.boolean({summary: 'Print NDJSON events on stdout (schemas/events.schema.json); needs --auto-approve or a saved plan.'}),
  ...stepFlags,
  ...inputFlags,
  color: colorFlag,
}

/** The state lock fails at once unless told to wait; a named lock waits its turn unless told not to wait so long. */
export function lockTimeouts(value: string | undefined): {stateLockTimeoutMs: number; lockTimeoutMs?: number} {
  if (value === undefined) return {stateLockTimeoutMs: 0}
  const ms = parseLockTimeout(value)
  return {stateLockTimeoutMs: ms, lockTimeoutMs: ms}
}

function parseLockTimeout(value: string): number {
  const ms = parseDuration(/^[0-9.]+$/.test(value) ? Number(value) : value)
  if (ms === undefined) throw new UserError(`--lock-timeout ${value}: not a duration (use e.g. 500ms, 30s, 2m)`)
  return ms
}

/** The parts of an apply request that `apply` and `destroy` take from the same flags. */
export function runOptions(
  flags: {
    'auto-approve': boolean
    parallelism?: number | undefined
    'lock-timeout'?: string | undefined
    instance?: string | undefined
    var?: string[] | undefined
    'var-file'?: string[] | undefined
  },
  onNote: (message: string) => void,
) {
  return {
    autoApprove: flags['auto-approve'],
    inputs: inputSources(flags),
    interactive: process.stdin.isTTY === true,
    ...(flags.parallelism ? {parallelism: flags.parallelism} : {}),
    ...lockTimeouts(flags['lock-timeout']),
    ...stateOptions(flags),
    onNote,
  }
}
