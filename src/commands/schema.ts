import {Flags} from '@oclif/core'
import compctl from '../../schemas/compctl.schema.json' with {type: 'json'}
import events from '../../schemas/events.schema.json' with {type: 'json'}
import plan from '../../schemas/plan.schema.json' with {type: 'json'}
import state from '../../schemas/state.schema.json' with {type: 'json'}
import {BaseCommand} from './base.js'

const SCHEMAS = {compctl, state, plan, events}

export default class Schema extends BaseCommand {
  static override summary = 'Print a JSON Schema: the desired-state file (default), the state, the plan, or the events.'
  static override examples = ['<%= config.bin %> schema > compctl.schema.json', '<%= config.bin %> schema --name plan']

  static override flags = {
    name: Flags.option({options: ['compctl', 'state', 'plan', 'events'] as const, default: 'compctl' as const, summary: 'Which schema.'})(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Schema)
    this.out(JSON.stringify(SCHEMAS[flags.name], null, 2))
  }
}
