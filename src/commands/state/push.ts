import {Args, Flags} from '@oclif/core'
import {BaseCommand, fileFlag} from '../base.js'
import {stateLock, stateLockFlag} from './flags.js'
import {commandLineOnly} from '../positional.js'

export default class StatePush extends BaseCommand {
  static override summary = 'Replace the state with FILE (written by `compctl state pull`).'
  static override description =
    'FILE is checked against schemas/state.schema.json first. Refused when its lineage is not the current state\'s, or when its serial is not newer, unless --force. The replaced state is kept as the backup. Nothing is started or stopped.'
  static override examples = ['<%= config.bin %> state push state.json', '<%= config.bin %> state push old-host.json --force']

  static override args = {
    file: Args.string({...commandLineOnly, description: 'A state as JSON.', required: true}),
  }

  static override flags = {
    file: fileFlag,
    force: Flags.boolean({summary: 'Replace the state even with another lineage or a serial that is not newer.'}),
    ...stateLockFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StatePush)
    const [{loadConfigOrThrow}, {pushState}] = await Promise.all([import('../../config/load.js'), import('../../services/state-ops.js')])
    const config = await loadConfigOrThrow(flags.file)
    const pushed = await pushState(config, args.file, flags.force, stateLock(flags, (t) => this.note(t)))
    this.out(`${pushed.replaced ? 'Replaced' : 'Created'} the state from ${args.file} (serial ${pushed.serial}).`)
  }
}
