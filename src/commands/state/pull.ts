import {UserError} from '../../errors.js'
import {writeAsStored} from '../../secrets/secrets.js'
import {BaseCommand, fileFlag} from '../base.js'
import {stateFlags, stateOptions} from '../state-flags.js'

export default class StatePull extends BaseCommand {
  static override summary = 'Print the state as JSON on stdout (to keep, inspect, or push to another backend).'
  static override examples = ['<%= config.bin %> state pull > state.json']

  static override flags = {file: fileFlag, ...stateFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(StatePull)
    const [{loadConfigOrThrow}, {readState}] = await Promise.all([import('../../config/load.js'), import('../../state/open.js')])
    const {state, location} = await readState(await loadConfigOrThrow(flags.file), stateOptions(flags))
    if (state === null) throw new UserError(`${location}: there is no state yet: nothing has been applied`)
    // The state as stored, sensitive markers included: what `state push` needs to migrate it.
    writeAsStored(process.stdout, JSON.stringify(state, null, 2) + '\n')
  }
}
