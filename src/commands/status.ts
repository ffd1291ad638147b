import {Flags} from '@oclif/core'
import {loadConfigOrThrow} from '../config/load.js'
import {observeRecorded} from '../services/plan-service.js'
import {holderState, readStateLock} from '../state/lock.js'
import {FileStateStore} from '../state/store.js'
import {buildStatusReport, renderStatusText} from '../views/status-text.js'
import {BaseCommand, fileFlag} from './base.js'

export default class Status extends BaseCommand {
  static override summary = 'Show each component and change: status checked against the live process, pid, uptime, restarts, last error.'
  static override description =
    'Refreshes without changing anything: a component recorded running whose process is gone shows as `exited`, one whose pid now belongs to another process as `pid reused`, and a step that never ended as `interrupted`. Also shows who holds the state lock.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -f examples/dns/compctl.yaml --json']

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print one JSON object (format_version "1") instead of tables.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const config = await loadConfigOrThrow(flags.file)
    const store = new FileStateStore(config.stateDir)
    const state = await store.read()
    const lock = await readStateLock(config.stateDir)
    const holder = lock === null ? null : holderState(lock)
    const report = buildStatusReport({
      project: config.project,
      file: config.file,
      stateFile: store.location,
      spec: config.spec,
      state,
      observed: observeRecorded(state),
      lock,
      applyRunning: holder === 'alive' || holder === 'elsewhere',
      now: new Date(),
    })
    this.out(flags.json ? JSON.stringify(report, null, 2) : renderStatusText(report))
  }
}
