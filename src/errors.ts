/** A problem located in a file: rendered `FILE:LINE:COL: path: message`. */
export interface Problem {
  file: string
  line: number
  col: number
  /** JSON-pointer-like path in the file, dotted: `components.msgq.command`; empty for the whole file. */
  path: string
  message: string
  /** A warning is reported but does not make the file invalid. */
  severity?: 'warning'
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path === '' ? '(file)' : p.path}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`
}

/**
 * An error the user can fix: printed as its lines (no stack trace), exit 1.
 * `lines` is one line per problem; `hint` says what to do.
 */
export class UserError extends Error {
  readonly lines: string[]
  readonly hint: string | undefined
  readonly exitCode: number

  constructor(lines: string | string[], options: {hint?: string; exitCode?: number} = {}) {
    const all = Array.isArray(lines) ? lines : [lines]
    super(all.join('\n'))
    this.name = 'UserError'
    this.lines = all
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 1
  }
}

export class ProblemsError extends UserError {
  readonly problems: Problem[]

  constructor(problems: Problem[]) {
    super(problems.map(formatProblem))
    this.problems = problems
  }
}
