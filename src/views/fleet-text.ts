import type {FleetReport} from '../services/fleet.js'
import {alignColumns} from './status-text.js'

const shortTime = (iso: string | null) => iso?.replace(/\.\d+Z$/, 'Z') ?? '-'

/** `compctl status --all` for people: one row per instance, then each instance's components. */
export function renderFleetText(report: FleetReport): string {
  if (report.instances.length === 0) return `Project ${report.project}: no instance has a state in ${report.location} yet.\n`
  const count = report.instances.length
  const lines = [`Project ${report.project}: ${count} instance${count === 1 ? '' : 's'} in ${report.location}`, '']
  const rows = [['INSTANCE', 'HOST', 'SERIAL', 'LAST APPLY', 'RUNNING', 'LOCK']]
  for (const i of report.instances)
    rows.push([i.instance, i.host ?? '-', String(i.serial), shortTime(i.lastApply), `${i.running}/${i.declared}`, i.lock ? `${i.lock.operation} by ${i.lock.who}, pid ${i.lock.pid}` : '-'])
  lines.push(...alignColumns(rows))
  for (const i of report.instances) {
    lines.push('', `${i.instance}:`)
    if (i.components.length === 0) {
      lines.push('  (no components)')
      continue
    }
    const table = [['NAME', 'STATUS', 'PID', 'STARTED', 'LAST ERROR']]
    for (const c of i.components) table.push([c.name, c.status, c.pid === null ? '-' : String(c.pid), shortTime(c.startedAt), c.lastError ?? '-'])
    lines.push(...alignColumns(table).map((line) => `  ${line}`))
  }
  return lines.join('\n') + '\n'
}
