import {Flags} from '@oclif/core'
import {BaseCommand, fileFlag} from '../base.js'
import {stateFlags, stateOptions} from '../state-flags.js'

export default class StateList extends BaseCommand {
  static override summary = 'List every recorded component and change, one per line.'
  static override description = 'Reads the state without changing it (and without the state lock: every write replaces the file whole).'
  static override examples = ['<%= config.bin %> state list', '<%= config.bin %> state list --json']

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    json: Flags.boolean({summary: 'Print a JSON array of {name, type, status, pid}.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(StateList)
    const [{loadConfigOrThrow}, {readState}, {listRecords}] = await Promise.all([
      import('../../config/load.js'),
      import('../../state/open.js'),
      import('../../services/state-ops.js'),
    ])
    const {state} = await readState(await loadConfigOrThrow(flags.file), stateOptions(flags))
    const records = listRecords(state)
    if (flags.json) this.out(JSON.stringify(records, null, 2))
    else for (const r of records) this.out(`${r.name}\t${r.type}\t${r.status}${r.pid === null ? '' : `\tpid ${r.pid}`}`)
  }
}
