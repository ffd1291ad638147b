import {Args} from '@oclif/core'
import {BaseCommand, fileFlag} from '../base.js'
import {stateLock, stateLockFlag} from './flags.js'
import {commandLineOnly} from '../positional.js'

export default class StateMv extends BaseCommand {
  static override summary = 'Rename a recorded component or change; its process keeps running, untouched, with the same pid.'
  static override description =
    'Refused when NEW is recorded already. The log moves with the record. Rename it in the file too, or the next plan stops NEW and starts OLD; `moved:` in the file does both in one apply.'
  static override examples = ['<%= config.bin %> state mv authd auth']

  static override args = {
    old: Args.string({...commandLineOnly, description: 'The recorded name.', required: true}),
    new: Args.string({...commandLineOnly, description: 'The new name (not recorded yet).', required: true}),
  }

  static override flags = {file: fileFlag, ...stateLockFlag}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StateMv)
    const [{loadConfigOrThrow}, {moveState}] = await Promise.all([import('../../config/load.js'), import('../../services/state-ops.js')])
    const config = await loadConfigOrThrow(flags.file)
    const moved = await moveState(config, args.old, args.new, stateLock(flags, (t) => this.note(t)))
    const process = moved.pid === null ? '' : ` (pid ${moved.pid}, untouched)`
    this.out(`Moved ${moved.type} ${args.old} to ${args.new}${process}.`)
  }
}
