import {Args, Flags} from '@oclif/core'
import {UserError} from '../errors.js'
import {BaseCommand, fileFlag} from './base.js'
import {stateLock, stateLockFlag} from './state/flags.js'
import {commandLineOnly} from './positional.js'

export default class Import extends BaseCommand {
  static override summary = "Adopt a running process of compctl's own user as component NAME, without restarting it."
  static override description =
    'NAME must be declared in the file and not yet recorded; PID must be alive, run as your own user, and be neither pid 0 or 1 nor compctl itself. It is recorded as running with the desired spec. The next plan has nothing to do for it when its command line is the desired command, and plans a restart (saying so) otherwise.'
  static override examples = ['<%= config.bin %> import auth 4242']

  static override args = {
    name: Args.string({...commandLineOnly, description: 'A component declared in the file.', required: true}),
    pid: Args.string({...commandLineOnly, description: 'The process to adopt.', required: true}),
  }

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print {name, pid, matches, command, desired} as JSON.'}),
    ...stateLockFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Import)
    if (!/^[0-9]+$/.test(args.pid)) throw new UserError(`compctl import ${args.name} ${args.pid}: PID must be a process id (digits)`)
    const [{loadConfigOrThrow}, {importProcess}] = await Promise.all([import('../config/load.js'), import('../services/state-ops.js')])
    const config = await loadConfigOrThrow(flags.file)
    const imported = await importProcess(config, args.name, Number(args.pid), stateLock(flags, (t) => this.note(t)))
    if (flags.json) {
      this.out(JSON.stringify(imported, null, 2))
      return
    }
    this.out(`Imported pid ${imported.pid} as ${imported.name}.`)
    if (imported.matches) this.out('It runs the desired command: the next plan has nothing to do for it.')
    else this.out(`It runs ${JSON.stringify(imported.command)}, not the desired ${JSON.stringify(imported.desired)}: the next plan restarts it.`)
  }
}
