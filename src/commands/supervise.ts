import {Flags} from '@oclif/core'
import type {CompctlPlan} from '../model/generated/plan.js'
import {lockTimeouts, stepFlags} from './apply-flags.js'
import {stateOptions} from './state-flags.js'
import {BaseCommand, colorFlag, fileFlag} from './base.js'
import {inputFlags, inputSources} from './input-flags.js'

export default class Supervise extends BaseCommand {
  static override summary = 'Stay in the foreground: apply the file, then restart what crashes, run health checks, re-read the file on SIGHUP.'
  static override description = [
    'Applies the file without asking, then supervises: a crashed `dispensable` component is restarted with backoff up to `restart.retries` times (then left failed);',
    'a crashed `needed` one is restarted, unless it died within `startGrace` (default 10s) of its start; a crashed `core` one brings the system down (every',
    'component stopped, dependents first; exit 1). A component failing its `health` check `failures` times in a row counts as crashed. SIGHUP re-reads',
    'the file: a valid one is planned and applied, an invalid one is reported and nothing changes. SIGTERM or Ctrl-C stops everything and exits 0.',
    'The state lock is held the whole time, so `apply` elsewhere fails at once naming supervise.',
    'Exit codes: 0 stopped by a signal, 1 the system went down (or an error).',
  ].join(' ')
  static override examples = ['<%= config.bin %> supervise', '<%= config.bin %> supervise -f examples/dns/compctl.yaml --json', 'kill -HUP <supervise pid>   # re-read the file']

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print NDJSON events on stdout (schemas/events.schema.json).'}),
    ...stepFlags,
    ...inputFlags,
    color: colorFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Supervise)
    const [{supervise}, {chooseApplyView}] = await Promise.all([import('../supervisor/service.js'), import('../views/choose-view.js')])
    const view = await chooseApplyView({json: flags.json, color: flags.color, title: 'Supervise'})
    process.exitCode = await supervise(
      {
        file: flags.file,
        inputs: inputSources(flags),
        ...(flags.parallelism ? {parallelism: flags.parallelism} : {}),
        ...lockTimeouts(flags['lock-timeout']),
        ...stateOptions(flags),
        onNote: (message) => this.note(message),
        ...(view.showPlan ? {onPlan: (plan: CompctlPlan) => view.showPlan!(plan)} : {}),
      },
      view,
    )
  }
}
