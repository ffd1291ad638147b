import type {CompctlFile} from '../model/generated/compctl.js'
import {durationMs} from '../util/duration.js'

/** What supervise's stop waits for a component when its file sets no `stop.timeout`. */
const DEFAULT_STOP_TIMEOUT_MS = 10_000
/** Room on top of the stops themselves: hooks, lock waits, writing the state. */
const STOP_MARGIN_S = 30

export interface UnitRequest {
  project: string
  /** Absolute path of the desired file. */
  file: string
  /** Absolute folder supervise runs in: the file's folder. */
  workingDirectory: string
  /** Absolute argv that runs compctl: node and bin/run.js. */
  compctl: string[]
  spec: CompctlFile
}

/**
 * One word of a systemd command line: `%` and `$` are doubled so systemd expands no specifier or
 * variable, and a word with a space, quote or backslash is double-quoted with C escapes.
 */
export function systemdWord(word: string): string {
  const plain = word.replace(/%/g, '%%').replace(/\$/g, '$$$$')
  return /[\s"'\\;]/.test(plain) || plain === '' ? `"${plain.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : plain
}

/** A path in a setting that takes one path, not a command line: only specifiers need escaping. */
function systemdPath(path: string): string {
  return path.replace(/%/g, '%%')
}

/** Seconds systemd gives supervise to stop: every component's stop timeout in turn, plus a margin. */
export function stopBudgetSeconds(spec: CompctlFile): number {
  const stopsMs = Object.values(spec.components ?? {}).reduce((sum, component) => sum + durationMs(component.stop?.timeout, DEFAULT_STOP_TIMEOUT_MS), 0)
  return Math.ceil(stopsMs / 1000) + STOP_MARGIN_S
}

/** The systemd service unit that runs `compctl supervise` for a file at boot. */
export function renderSystemdUnit(request: UnitRequest): string {
  const unit = `compctl-${request.project}.service`
  const execStart = [...request.compctl, 'supervise', '-f', request.file].map(systemdWord).join(' ')
  return `# ${unit}: runs \`compctl supervise\` for ${request.file} at boot.
# Install it:
#   compctl startup systemd -f ${request.file} > /etc/systemd/system/${unit}
#   systemctl daemon-reload && systemctl enable --now ${unit}
[Unit]
Description=compctl supervise: ${systemdPath(request.project)} (${systemdPath(request.file)})
Wants=network-online.target
After=network-online.target

[Service]
# exec: started once compctl runs; supervise applies the file itself, without asking.
Type=exec
WorkingDirectory=${systemdPath(request.workingDirectory)}
ExecStart=${execStart}
# On stop, SIGTERM goes to supervise alone (mixed), which stops every component in order,
# dependents first, each with its own stop signal and timeout. The default (control-group)
# would signal every component at once, out of order; whatever is left once supervise has
# exited, or when the timeout below runs out, gets SIGKILL.
KillMode=mixed
KillSignal=SIGTERM
# Every component's stop.timeout in turn (10s where unset) plus ${STOP_MARGIN_S}s, so systemd does not
# SIGKILL an ordered stop that is still within its components' own timeouts.
TimeoutStopSec=${stopBudgetSeconds(request.spec)}
# supervise exits 1 when a core component brings the system down (or on an error): start it
# again. A stop by signal exits 0 and stays stopped.
Restart=on-failure
RestartSec=5s

[Install]
WantedBy=multi-user.target
`
}
