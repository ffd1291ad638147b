import {Flags} from '@oclif/core'
import {formatProblem} from '../errors.js'
import {BaseCommand, fileFlag} from './base.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check a desired-state file: schema, references, cycles, vars. Exit 0 valid, 1 not.'
  static override description = 'Every problem is reported, one per line, as FILE:LINE:COL: path: message.'
  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate -f examples/dns/compctl.yaml --json']

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print {valid, problems} as JSON on stdout.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const {loadConfig} = await import('../config/load.js')
    const result = await loadConfig(flags.file)
    if (flags.json) {
      this.out(JSON.stringify(result.ok ? {valid: true, problems: []} : {valid: false, problems: result.problems}, null, 2))
    } else if (result.ok) {
      const spec = result.config.spec
      const count = (o: object | undefined, noun: string) => {
        const n = Object.keys(o ?? {}).length
        return `${n} ${noun}${n === 1 ? '' : 's'}`
      }
      this.out(`${flags.file}: valid (${count(spec.components, 'component')}, ${count(spec.changes, 'change')}, ${count(spec.locks, 'lock')})`)
    } else {
      for (const problem of result.problems) process.stderr.write(formatProblem(problem) + '\n')
      this.note(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${flags.file}.`)
    }
    if (!result.ok) process.exitCode = 1
  }
}
