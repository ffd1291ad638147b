/**
 * Spread into every positional argument (`Args.string({...commandLineOnly, ...})`). oclif reads a
 * missing argument from stdin when stdin is not a terminal, waiting up to 10 ms for it: `echo yes |
 * compctl apply` would take "yes" for a saved plan's file name, and a CI job's open stdin would
 * cost every command that wait. compctl's arguments come from the command line only; stdin is for
 * the confirmation.
 */
export const commandLineOnly = {ignoreStdin: true} as const
