import {appendFile} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {formatProblem, UserError} from '../errors.js'
import {PLAN_FORMATS} from '../views/plan-formats.js'
import {BaseCommand, colorFlag, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {writePrivateFile} from '../util/private-files.js'
import {inputFlags, inputSources} from './input-flags.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what apply would do: the ordered steps, why each happens, and what each changes.'
  static override description =
    'Refreshes the state (is each recorded process alive, and still the same process?), diffs the desired file against it, and prints the plan. Exit codes: 0 success, 1 error; with --detailed-exitcode, 0 no steps, 2 steps, 1 error.'
  static override examples = [
    '<%= config.bin %> plan',
    '<%= config.bin %> plan -f examples/dns/compctl.yaml --out plan.json',
    '<%= config.bin %> plan --json --detailed-exitcode',
    '<%= config.bin %> plan --format markdown >> "$GITHUB_STEP_SUMMARY"',
  ]

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    format: Flags.option({options: PLAN_FORMATS, summary: 'Output format.', default: 'text' as const})(),
    json: Flags.boolean({summary: 'Same as --format json (described by schemas/plan.schema.json).'}),
    out: Flags.string({summary: 'Also save the plan to this file, for `compctl apply FILE`.', helpValue: 'FILE'}),
    destroy: Flags.boolean({summary: 'Plan stopping every managed component.', default: false}),
    target: Flags.string({summary: 'Limit the plan to NAME and what it depends on (repeatable).', multiple: true, helpValue: 'NAME'}),
    replace: Flags.string({summary: 'Force a restart of component NAME, or a re-run of change NAME (repeatable).', multiple: true, helpValue: 'NAME'}),
    refresh: Flags.boolean({summary: 'Check recorded processes before planning (--no-refresh trusts the state).', allowNo: true, default: true}),
    'detailed-exitcode': Flags.boolean({summary: 'Exit 2 when the plan has steps, 0 when it has none (1 on any error).'}),
    summary: Flags.boolean({summary: 'In GitHub Actions (GITHUB_STEP_SUMMARY set), append the markdown plan to the job summary; --no-summary turns it off.', allowNo: true, default: true}),
    ...inputFlags,
    color: colorFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const [{makePlan}, {renderPlan}] = await Promise.all([import('../services/plan-service.js'), import('../views/render-plan.js')])
    const {plan, config} = await makePlan({
      file: flags.file,
      destroy: flags.destroy,
      targets: flags.target ?? [],
      replace: flags.replace ?? [],
      refresh: flags.refresh,
      ...stateOptions(flags),
      inputs: inputSources(flags),
    })
    for (const warning of config.warnings) this.note(formatProblem(warning))
    if (flags.out) {
      await writePrivateFile(flags.out, JSON.stringify(plan, null, 2) + '\n').catch((error: NodeJS.ErrnoException) => {
        throw new UserError(`${flags.out}: cannot save the plan: ${error.code === 'ENOENT' ? 'its folder does not exist' : error.message}`)
      })
      this.note(`Saved the plan to ${flags.out}; run it with: compctl apply ${flags.out}`)
    }
    this.out(renderPlan(plan, flags.json ? 'json' : flags.format, this.palette(flags.color)))
    const stepSummary = process.env.GITHUB_STEP_SUMMARY
    if (flags.summary && stepSummary) {
      // A job summary that cannot be written must not fail the plan it summarises.
      await appendFile(stepSummary, renderPlan(plan, 'markdown', this.palette(false)) + '\n').catch((error: NodeJS.ErrnoException) =>
        this.note(`warning: GITHUB_STEP_SUMMARY ${stepSummary}: cannot append the plan: ${error.code ?? error.message}`),
      )
    }
    if (flags['detailed-exitcode'] && plan.steps.length > 0) process.exitCode = 2
  }
}
