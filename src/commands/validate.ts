import {Flags} from '@oclif/core'
import {formatProblem} from '../errors.js'
import {BaseCommand, fileFlag} from './base.js'
import {inputFlags, inputSources} from './input-flags.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check a desired-state file: schema, references, cycles, vars. Exit 0 valid, 1 not.'
  static override description = 'Every problem is reported, one per line, as FILE:LINE:COL: path: message. Warnings (FILE:LINE:COL: path: warning: message) do not make the file invalid.'
  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f examples/dns/compctl.yaml --json']

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print {valid, problems, warnings} as JSON on stdout.'}),
    ...inputFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const {loadConfig} = await import('../config/load.js')
    const result = await loadConfig(flags.file)
    // Values given are checked (declared, of their type); none are required.
    if (result.ok) await (await import('../config/resolve.js')).resolveInputs(result.config, inputSources(flags), {requireValues: false})
    const warnings = result.ok ? result.config.warnings : result.warnings
    const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`
    if (flags.json) {
      this.out(JSON.stringify({valid: result.ok, problems: result.ok ? [] : result.problems, warnings}, null, 2))
    } else if (result.ok) {
      for (const warning of warnings) process.stderr.write(formatProblem(warning) + '\n')
      const spec = result.config.spec
      const count = (o: object | undefined, noun: string) => plural(Object.keys(o ?? {}).length, noun)
      const warned = warnings.length > 0 ? `; ${plural(warnings.length, 'warning')}` : ''
      this.out(`${flags.file}: valid (${count(spec.components, 'component')}, ${count(spec.changes, 'change')}, ${count(spec.locks, 'lock')})${warned}`)
    } else {
      const all = [...result.problems, ...warnings].sort((a, b) => a.line - b.line || a.col - b.col)
      for (const problem of all) process.stderr.write(formatProblem(problem) + '\n')
      const warned = warnings.length > 0 ? ` and ${plural(warnings.length, 'warning')}` : ''
      this.note(`${plural(result.problems.length, 'problem')}${warned} in ${flags.file}.`)
    }
    if (!result.ok) process.exitCode = 1
  }
}
