import {Flags} from '@oclif/core'
import {UserError} from '../errors.js'
import type {CompctlState} from '../model/generated/state.js'
import {colourWanted} from '../util/colour.js'
import {BaseCommand, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {byCodeUnits} from '../util/order.js'

export default class Status extends BaseCommand {
  static override summary = 'Show each component and change: status checked against the live process, pid, uptime, restarts, last error.'
  static override description =
    'Refreshes without changing anything: a component recorded running whose process is gone shows as `exited`, one whose pid now belongs to another process as `pid reused`, and a step that never ended as `interrupted`. Also shows who holds the state lock.'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -f examples/dns/compctl.yaml --json']

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    json: Flags.boolean({summary: 'Print one JSON object (format_version "1") instead of tables; each running component with its rssBytes (its process group\'s memory).'}),
    all: Flags.boolean({summary: 'Every instance of the project in the state backend: instance, host, serial, last apply, running/declared, then each component.', exclusive: ['watch']}),
    watch: Flags.boolean({summary: 'A live view in a terminal, refreshed every second: CPU %, memory and the last log line too. q or Ctrl-C quits.', exclusive: ['json', 'all']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    if (flags.all) return this.fleet(flags)
    if (flags.watch) return this.watch(flags)
    const [{loadConfigOrThrow}, {readStatus}, {alignColumns, renderStatusText}] = await Promise.all([
      import('../config/load.js'),
      import('../services/status.js'),
      import('../views/status-text.js'),
    ])
    const {report, state} = await readStatus(await loadConfigOrThrow(flags.file), stateOptions(flags))
    const lastExits = lastExitsOf(state)
    if (flags.json) {
      const {readGroupUsage} = await import('../process/usage.js')
      const usage = readGroupUsage(report.components.flatMap((c) => (c.status === 'running' && c.pid !== null ? [c.pid] : [])))
      const rssOf = (c: (typeof report.components)[number]) => (c.status === 'running' && c.pid !== null ? (usage.get(c.pid)?.rssBytes ?? null) : null)
      const components = report.components.map((c) => ({...c, lastExit: lastExits.get(c.name) ?? null, rssBytes: rssOf(c)}))
      this.out(JSON.stringify({...report, components}, null, 2))
    } else this.out(renderStatusText(report) + lastExitsText(lastExits, alignColumns))
  }

  /** `--all`: a separate view, so the single-instance status stays as it is. */
  private async fleet(flags: {file: string; json: boolean; instance?: string | undefined}): Promise<void> {
    const [{loadConfigOrThrow}, {fleetStatus}, {renderFleetText}] = await Promise.all([
      import('../config/load.js'),
      import('../services/fleet.js'),
      import('../views/fleet-text.js'),
    ])
    const report = await fleetStatus(await loadConfigOrThrow(flags.file), stateOptions(flags))
    this.out(flags.json ? JSON.stringify(report, null, 2) : renderFleetText(report))
  }

  /** `status --watch`: Ink and React are loaded on this path only. */
  private async watch(flags: {file: string; instance?: string | undefined}): Promise<void> {
    if (!process.stdout.isTTY || !process.stdin.isTTY)
      throw new UserError('compctl status --watch needs a terminal (stdin and stdout), and this is not one.', {hint: 'Use `compctl status`, or `compctl status --json` for a program.'})
    const [{loadConfigOrThrow}, {statusWatchSource}, {watchStatusInk}] = await Promise.all([
      import('../config/load.js'),
      import('../services/status-watch.js'),
      import('../views/ink/index.js'),
    ])
    const config = await loadConfigOrThrow(flags.file)
    await watchStatusInk({stdout: process.stdout, stdin: process.stdin, colour: colourWanted(process.stdout, false), title: `${config.project} (${config.file})`, load: statusWatchSource(config, stateOptions(flags))})
  }
}

type LastExit = NonNullable<CompctlState['components'][string]['lastExit']>

function lastExitsOf(state: CompctlState | null): Map<string, LastExit> {
  const out = new Map<string, LastExit>()
  for (const [name, component] of Object.entries(state?.components ?? {})) if (component.lastExit) out.set(name, component.lastExit)
  return out
}

/** How each component's process last ended, as `supervise` saw it. */
function lastExitsText(lastExits: Map<string, LastExit>, alignColumns: (rows: string[][]) => string[]): string {
  if (lastExits.size === 0) return ''
  const rows = [['NAME', 'ENDED AT', 'HOW']]
  for (const [name, exit] of [...lastExits].sort(([a], [b]) => byCodeUnits(a, b))) {
    const how = exit.signal ? `killed by ${exit.signal}` : typeof exit.code === 'number' ? `exited with code ${exit.code}` : 'ended (exit status not seen)'
    rows.push([name, exit.at?.replace(/\.\d+Z$/, 'Z') ?? '-', how])
  }
  return ['', 'Last exits', ...alignColumns(rows)].join('\n') + '\n'
}
