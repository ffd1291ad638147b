import {Args, Flags} from '@oclif/core'
import {UserError} from '../errors.js'
import {runFlags, runOptions} from './apply-flags.js'
import {BaseCommand} from './base.js'
import {commandLineOnly} from './positional.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the running system match the file: plan, confirm, then start, stop, restart, reload and run changes.'
  static override description =
    'With PLANFILE (from `compctl plan --out`), runs exactly that plan, or refuses it as stale naming what changed. Exit codes: 0 success, 1 a failure or an error, 130 interrupted.'
  static override examples = ['<%= config.bin %> apply', '<%= config.bin %> apply --auto-approve', '<%= config.bin %> apply plan.json', '<%= config.bin %> apply --auto-approve --json']

  static override args = {
    planfile: Args.string({...commandLineOnly, description: 'A plan saved with `compctl plan --out FILE`: saving it was the approval.', required: false}),
  }

  static override flags = {
    ...runFlags,
    target: Flags.string({summary: 'Limit to NAME and what it depends on (repeatable).', multiple: true, helpValue: 'NAME'}),
    replace: Flags.string({summary: 'Force a restart of component NAME or a re-run of change NAME (repeatable).', multiple: true, helpValue: 'NAME'}),
    refresh: Flags.boolean({summary: 'Check recorded processes before planning.', allowNo: true, default: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    if (flags.json && !flags['auto-approve'] && !args.planfile)
      throw new UserError('compctl apply --json cannot ask for confirmation', {hint: 'Add --auto-approve, or apply a saved plan.'})
    const [{applyPlan}, {chooseApplyView}] = await Promise.all([import('../services/apply-service.js'), import('../views/choose-view.js')])
    const view = await chooseApplyView({json: flags.json, color: flags.color})
    process.exitCode = await applyPlan(
      {
        operation: 'apply',
        file: flags.file,
        ...(args.planfile ? {planFile: args.planfile} : {}),
        destroy: false,
        targets: flags.target ?? [],
        replace: flags.replace ?? [],
        refresh: flags.refresh,
        ...runOptions(flags, (message) => this.note(message)),
      },
      view,
    )
  }
}
