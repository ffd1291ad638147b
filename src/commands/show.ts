import {Args, Flags} from '@oclif/core'
import {PLAN_FORMATS} from '../views/plan-formats.js'
import {BaseCommand, colorFlag, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {commandLineOnly} from './positional.js'

export default class Show extends BaseCommand {
  static override summary = 'Render a saved plan (text, JSON or markdown); without PLANFILE, the recorded state.'
  static override examples = ['<%= config.bin %> show plan.json', '<%= config.bin %> show plan.json --format markdown', '<%= config.bin %> show --json']

  static override args = {
    planfile: Args.string({...commandLineOnly, description: 'A plan saved with `compctl plan --out`.', required: false}),
  }

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    format: Flags.option({options: PLAN_FORMATS, summary: 'Output format.', default: 'text' as const})(),
    json: Flags.boolean({summary: 'Same as --format json.'}),
    color: colorFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    const format = flags.json ? 'json' : flags.format
    const {renderPlan} = await import('../views/render-plan.js')
    if (args.planfile) {
      const {readSavedPlan} = await import('../services/saved-plan.js')
      this.out(renderPlan(await readSavedPlan(args.planfile), format, this.palette(flags.color)))
      return
    }
    const [{loadConfigOrThrow}, {readState}, {renderStateText}] = await Promise.all([
      import('../config/load.js'),
      import('../state/open.js'),
      import('../views/state-text.js'),
    ])
    const config = await loadConfigOrThrow(flags.file)
    const {state, location} = await readState(config, stateOptions(flags))
    if (format === 'json') this.out(JSON.stringify(state, null, 2))
    else this.out(renderStateText(state, location))
  }
}
