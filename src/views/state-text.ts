import type {CompctlState} from '../model/generated/state.js'
import {byCodeUnits} from '../util/order.js'

/** The recorded state, for people: what compctl believes it runs. */
export function renderStateText(state: CompctlState | null, location: string): string {
  if (state === null) return `No state at ${location}: nothing has been applied yet.\n`
  const lines = [`State ${location} (lineage ${state.lineage}, serial ${state.serial})`, '']
  const components = Object.entries(state.components).sort(([a], [b]) => byCodeUnits(a, b))
  const changes = Object.entries(state.changes).sort(([a], [b]) => byCodeUnits(a, b))
  for (const [name, c] of components) {
    const pending = c.pending ? `  (interrupted: ${c.pending.action} since ${c.pending.since})` : ''
    lines.push(`  component ${name}: ${c.status}${c.pid ? `, pid ${c.pid}` : ''}${c.lastError ? `, last error: ${c.lastError}` : ''}${pending}`)
  }
  for (const [name, c] of changes) {
    const targets = Object.entries(c.targets).map(([t, o]) => `${t} ${o.outcome}`).join(', ')
    lines.push(`  change ${name}: ${c.status}${targets ? ` (${targets})` : ''}`)
  }
  if (components.length + changes.length === 0) lines.push('  (empty)')
  return lines.join('\n') + '\n'
}
