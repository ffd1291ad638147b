import type {Change, Target} from '../model/generated/compctl.js'
import type {CommandSpec} from '../process/run-command.js'

/** `${name}`, or `$${`: a literal `${` (the file's other references were replaced when it was loaded). */
const VAR_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** The targets of a change; a change that names none has one target, `local`. */
export function targetsOf(change: Change): Target[] {
  return change.targets ?? [{name: 'local'}]
}

/** A target's variables: its own over the change's. */
export function varsFor(change: Change, target: Target): Record<string, string> {
  return {...change.vars, ...target.vars}
}

/**
 * Replaces each `${name}` with its value in one pass, so a value is never scanned again
 * (a value containing `${other}` stays as it is), and `$${` with `${`. A reference to an
 * undefined variable stays as written: validation rejects those before anything runs.
 */
export function substituteVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(VAR_REF, (whole, name: string | undefined) => (name === undefined ? '${' : Object.hasOwn(vars, name) ? vars[name]! : whole))
}

/**
 * The command to run for a target. An argv command has `${var}` replaced inside each element
 * (each stays one argument, never re-split or given to a shell); a shell string is returned
 * unchanged, so nothing is ever spliced into shell text: it reads the vars from its environment.
 */
export function commandFor(command: CommandSpec, vars: Readonly<Record<string, string>>): CommandSpec {
  return typeof command === 'string' ? command : command.map((arg) => substituteVars(arg, vars))
}
