import type {LoadedConfig} from '../config/load.js'
import {componentLogFile} from '../logs/paths.js'
import type {CompctlState} from '../model/generated/state.js'
import {tailLines} from '../logs/tail.js'
import {topologicalOrder} from '../planner/graph.js'
import {byCodeUnits} from '../util/order.js'
import {CpuSampler, readGroupUsage} from '../process/usage.js'
import type {ComponentStatusRow} from '../views/status-text.js'
import {readStatus} from './status.js'

/** One line of `status --watch`. */
export interface WatchRow {
  name: string
  kind: ComponentStatusRow['kind']
  status: ComponentStatusRow['status']
  pid: number | null
  uptimeSeconds: number | null
  restarts: number
  /** Over the whole process group since the previous refresh; null on the first one or when not running. */
  cpuPercent: number | null
  rssBytes: number | null
  /** The latest health checks as supervise recorded them; null without a check, or when supervise does not run. */
  health: string | null
  lastLine: string | null
}

/**
 * The rows of `status --watch`, read afresh on each call: the state (as `status` refreshes it),
 * each running component's process group from /proc, and the last line of each log. Components
 * come in the order a plan starts them (dependencies first, then higher priority, then name),
 * then those only the state knows, by name.
 */
export function statusWatchSource(config: LoadedConfig, options: {instance?: string} = {}): () => Promise<WatchRow[]> {
  const sampler = new CpuSampler()
  const declared = config.spec.components ?? {}
  const names = Object.keys(declared)
  const planOrder = topologicalOrder(
    names,
    (name) => (declared[name]!.dependsOn ?? []).filter((d) => declared[d] !== undefined),
    (a, b) => (declared[b]!.priority ?? 0) - (declared[a]!.priority ?? 0) || byCodeUnits(a, b),
  )
  const rank = new Map(planOrder.map((name, i) => [name, i]))
  const order = (a: string, b: string) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || byCodeUnits(a, b)

  return async () => {
    const {report, state, supervised} = await readStatus(config, options)
    const running = report.components.filter((c) => c.status === 'running' && c.pid !== null)
    const usage = readGroupUsage(running.map((c) => c.pid!))
    const cpu = sampler.sample(usage)
    const rows = await Promise.all(
      report.components.map(async (c): Promise<WatchRow> => {
        const live = c.status === 'running' && c.pid !== null
        return {
          name: c.name,
          kind: c.kind,
          status: c.status,
          pid: c.pid,
          uptimeSeconds: c.uptimeSeconds,
          restarts: c.restarts,
          cpuPercent: live ? (cpu.get(c.pid!) ?? null) : null,
          rssBytes: live ? (usage.get(c.pid!)?.rssBytes ?? null) : null,
          health: live && supervised ? healthText(state?.components[c.name]?.health) : null,
          lastLine: (await tailLines(componentLogFile(config.stateDir, c.name), 1))[0] ?? null,
        }
      }),
    )
    return rows.sort((a, b) => order(a.name, b.name))
  }
}

function healthText(health: NonNullable<CompctlState['components'][string]['health']> | null | undefined): string | null {
  if (!health) return null
  return health.status === 'passing' ? 'passing' : `failing ${health.failures ?? 0}/${health.limit ?? '?'}`
}
