import {Flags} from '@oclif/core'

/** Flags of every command that reads or writes the state. */
export const stateFlags = {
  instance: Flags.string({
    summary: "Which instance's state of the project to use (default: settings.instance, else the host name).",
    helpValue: 'NAME',
  }),
}

/** The factory's options from the flags. */
export function stateOptions(flags: {instance?: string | undefined}): {instance?: string} {
  return flags.instance === undefined ? {} : {instance: flags.instance}
}
