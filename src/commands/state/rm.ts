import {Args, Flags} from '@oclif/core'
import {BaseCommand, fileFlag} from '../base.js'
import {stateLock, stateLockFlag} from './flags.js'
import {commandLineOnly} from '../positional.js'

export default class StateRm extends BaseCommand {
  static override summary = 'Forget recorded components or changes; their processes keep running, no longer managed.'
  static override description =
    'All the names must be recorded, or nothing is forgotten. Each pid left running is printed: compctl no longer stops it. A name the file still declares is planned as a new start.'
  static override examples = ['<%= config.bin %> state rm auth', '<%= config.bin %> state rm auth cache --json']
  static override strict = false

  static override args = {
    name: Args.string({...commandLineOnly, description: 'A recorded component or change (several may follow).', required: true}),
  }

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print a JSON array of {name, type, pidLeftRunning}.'}),
    ...stateLockFlag,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(StateRm)
    const [{loadConfigOrThrow}, {forgetState}] = await Promise.all([import('../../config/load.js'), import('../../services/state-ops.js')])
    const config = await loadConfigOrThrow(flags.file)
    const forgotten = await forgetState(config, argv as string[], stateLock(flags, (t) => this.note(t)))
    if (flags.json) {
      this.out(JSON.stringify(forgotten, null, 2))
      return
    }
    for (const f of forgotten)
      this.out(`Forgot ${f.type} ${f.name}${f.pidLeftRunning === null ? '' : `: pid ${f.pidLeftRunning} keeps running, unmanaged`}.`)
  }
}
