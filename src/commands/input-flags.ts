import {Flags} from '@oclif/core'
import type {InputSources} from '../config/resolve.js'

/** `--var` and `--var-file`: the same definition for plan, apply, destroy, supervise and validate. */
export const inputFlags = {
  var: Flags.string({
    summary: 'Set a variable (repeatable); wins over --var-file and COMPCTL_VAR_NAME.',
    multiple: true,
    helpValue: 'NAME=VALUE',
  }),
  'var-file': Flags.string({
    summary: 'Read variable values from a YAML or JSON object of name → value (repeatable; later files win).',
    multiple: true,
    helpValue: 'FILE',
  }),
}

export function inputSources(flags: {var?: string[] | undefined; 'var-file'?: string[] | undefined}): InputSources {
  return {vars: flags.var ?? [], varFiles: flags['var-file'] ?? []}
}
