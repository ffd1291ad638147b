import {Args, Flags} from '@oclif/core'
import {BaseCommand, fileFlag} from '../base.js'
import {stateFlags, stateOptions} from '../state-flags.js'
import {commandLineOnly} from '../positional.js'

export default class StateShow extends BaseCommand {
  static override summary = 'Show one recorded component or change: spec, pid, start time, status, outcomes.'
  static override examples = ['<%= config.bin %> state show auth', '<%= config.bin %> state show auth --json']

  static override args = {
    name: Args.string({...commandLineOnly, description: 'A recorded component or change.', required: true}),
  }

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    json: Flags.boolean({summary: 'Print the record as JSON, as the state holds it, with its name and type.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StateShow)
    const [{loadConfigOrThrow}, {readState}, {findRecord}, {default: YAML}] = await Promise.all([
      import('../../config/load.js'),
      import('../../state/open.js'),
      import('../../services/state-ops.js'),
      import('yaml'),
    ])
    const {state, location} = await readState(await loadConfigOrThrow(flags.file), stateOptions(flags))
    const {type, record} = findRecord(state, args.name, location)
    if (flags.json) this.out(JSON.stringify({name: args.name, type, record}, null, 2))
    else this.out(`${type} ${args.name}\n${YAML.stringify(record, {lineWidth: 0}).trimEnd()}`)
  }
}
