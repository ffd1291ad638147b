import {Flags} from '@oclif/core'
import {BaseCommand} from './base.js'

export default class Schema extends BaseCommand {
  static override summary = 'Print a JSON Schema: the desired-state file (default), the state, the plan, or the events.'
  static override examples = ['<%= config.bin %> schema > compctl.schema.json', '<%= config.bin %> schema --name plan']

  static override flags = {
    name: Flags.option({options: ['compctl', 'state', 'plan', 'events'] as const, default: 'compctl' as const, summary: 'Which schema.'})(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Schema)
    const schemas = {
      compctl: () => import('../../schemas/compctl.schema.json', {with: {type: 'json'}}),
      state: () => import('../../schemas/state.schema.json', {with: {type: 'json'}}),
      plan: () => import('../../schemas/plan.schema.json', {with: {type: 'json'}}),
      events: () => import('../../schemas/events.schema.json', {with: {type: 'json'}}),
    }
    this.out(JSON.stringify((await schemas[flags.name]()).default, null, 2))
  }
}
