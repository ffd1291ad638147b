import {UserError} from '../errors.js'
import {runFlags, runOptions} from './apply-flags.js'
import {BaseCommand} from './base.js'

export default class Destroy extends BaseCommand {
  static override summary = 'Stop every managed component (dependents first): `apply` of `plan --destroy`.'
  static override examples = ['<%= config.bin %> destroy', '<%= config.bin %> destroy --auto-approve']

  static override flags = runFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(Destroy)
    if (flags.json && !flags['auto-approve']) throw new UserError('compctl destroy --json cannot ask for confirmation', {hint: 'Add --auto-approve.'})
    const [{applyPlan}, {chooseApplyView}] = await Promise.all([import('../services/apply-service.js'), import('../views/choose-view.js')])
    const view = await chooseApplyView({json: flags.json, color: flags.color, title: 'Destroy'})
    process.exitCode = await applyPlan(
      {
        operation: 'destroy',
        file: flags.file,
        destroy: true,
        targets: [],
        replace: [],
        refresh: true,
        ...runOptions(flags, (message) => this.note(message)),
      },
      view,
    )
  }
}
