import type {LoadedConfig} from '../config/load.js'
import type {CompctlState} from '../model/generated/state.js'
import {holderState, type StateLockInfo} from '../state/lock.js'
import {readState} from '../state/open.js'
import {buildStatusReport, type StatusReport} from '../views/status-text.js'
import {observeRecorded} from './plan-service.js'

export interface StatusSnapshot {
  report: StatusReport
  state: CompctlState | null
  lock: StateLockInfo | null
  /** The state lock's holder is supervise, alive on this host. */
  supervised: boolean
}

/** The state, its lock and every recorded process checked against /proc: what `status` and `status --watch` show. */
export async function readStatus(config: LoadedConfig, options: {instance?: string} = {}): Promise<StatusSnapshot> {
  const {state, lock, location} = await readState(config, options, {lock: true})
  const holder = lock === null ? null : holderState(lock)
  const report = buildStatusReport({
    project: config.project,
    file: config.file,
    stateFile: location,
    spec: config.spec,
    state,
    observed: observeRecorded(state),
    lock,
    applyRunning: holder === 'alive' || holder === 'elsewhere',
    now: new Date(),
  })
  return {report, state, lock, supervised: lock?.operation === 'supervise' && holder === 'alive'}
}
