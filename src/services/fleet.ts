import {hostname} from 'node:os'
import type {LoadedConfig} from '../config/load.js'
import type {CompctlState} from '../model/generated/state.js'
import type {Observation} from '../process/observe.js'
import type {StateLockInfo} from '../state/lock.js'
import {openStateBackend, type InstanceState} from '../state/open.js'
import {observeRecorded} from './plan-service.js'
import {byCodeUnits} from '../util/order.js'

export interface FleetComponent {
  name: string
  /** As recorded; on this host, a component recorded running whose process is gone shows `exited`. */
  status: string
  pid: number | null
  startedAt: string | null
  lastError: string | null
}

export interface FleetInstance {
  instance: string
  /** The host of the last apply that ran steps, when the state says. */
  host: string | null
  serial: number
  lineage: string
  lastApply: string | null
  running: number
  declared: number
  lock: StateLockInfo | null
  components: FleetComponent[]
}

export interface FleetReport {
  format_version: '1'
  project: string
  /** Where the states live, for people. */
  location: string
  instances: FleetInstance[]
}

/** `compctl status --all`: every instance of the project the state backend holds. */
export async function fleetStatus(config: LoadedConfig, options: {instance?: string} = {}): Promise<FleetReport> {
  const backend = await openStateBackend(config, options)
  let instances: InstanceState[]
  try {
    instances = await backend.listInstances()
  } finally {
    await backend.close()
  }
  const location = config.spec.settings?.state?.backend === 'etcd' ? backend.location.slice(0, backend.location.length - backend.instance.length) : backend.location
  const declared = Object.keys(config.spec.components ?? {}).length
  return {
    format_version: '1',
    project: config.project,
    location,
    instances: instances.flatMap(({instance, state, lock}) => (state ? [fleetInstance(instance, state, lock, declared)] : [])),
  }
}

function fleetInstance(instance: string, state: CompctlState, lock: StateLockInfo | null, declared: number): FleetInstance {
  const host = state.host ?? null
  // Processes can be checked only on their own host.
  const observed: Record<string, Observation> = host === hostname() ? observeRecorded(state) : {}
  const components = Object.entries(state.components)
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([name, recorded]): FleetComponent => {
      const seen = observed[name]
      const gone = seen !== undefined && (recorded.status === 'running' || recorded.status === 'starting') && !(seen.alive && seen.sameProcess)
      return {name, status: gone ? 'exited' : recorded.status, pid: recorded.pid ?? null, startedAt: recorded.startedAt ?? null, lastError: recorded.lastError ?? null}
    })
  return {
    instance,
    host,
    serial: state.serial,
    lineage: state.lineage,
    lastApply: state.appliedAt ?? null,
    running: components.filter((c) => c.status === 'running').length,
    declared,
    lock,
    components,
  }
}
