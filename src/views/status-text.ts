import type {Component, CompctlFile} from '../model/generated/compctl.js'
import type {CompctlState, PendingStep, TargetOutcome} from '../model/generated/state.js'
import type {Observation} from '../process/observe.js'
import type {StateLockInfo} from '../state/lock.js'
import {byCodeUnits} from '../util/order.js'

/** A component's status refreshed against its live process. */
export type ComponentStatus =
  | 'running'
  | 'starting'
  | 'stopping'
  /** Recorded running (or starting), but the process is gone: drift. */
  | 'exited'
  /** The recorded pid now belongs to another process. */
  | 'pid_reused'
  | 'stopped'
  | 'failed'
  /** In the file, not in the state. */
  | 'not_started'
  /** A journaled step never ended and no apply holds the state lock. */
  | 'interrupted'

export type ChangeStatus = 'success' | 'failed' | 'running' | 'not_run' | 'interrupted'

export interface PendingInfo {
  action: string
  since: string
}

export interface ComponentStatusRow {
  name: string
  kind: 'core' | 'needed' | 'dispensable'
  status: ComponentStatus
  /** The status written in the state (null: not in the state). */
  recordedStatus: string | null
  pid: number | null
  startedAt: string | null
  /** Seconds since startedAt, only while the recorded process runs. */
  uptimeSeconds: number | null
  restarts: number
  lastError: string | null
  inFile: boolean
  inState: boolean
  /** A step journaled and not ended: interrupted, or under way when an apply holds the lock. */
  pending: PendingInfo | null
}

export interface TargetStatusRow {
  name: string
  /** null: not run on this target yet. */
  outcome: TargetOutcome['outcome'] | null
  at: string | null
  attempts: number | null
  error: string | null
}

export interface ChangeStatusRow {
  name: string
  status: ChangeStatus
  lastRunAt: string | null
  inFile: boolean
  inState: boolean
  pending: PendingInfo | null
  targets: TargetStatusRow[]
}

/** `compctl status --json`. */
export interface StatusReport {
  format_version: '1'
  project: string
  file: string
  stateFile: string
  /** null: no state yet (nothing applied). */
  lineage: string | null
  serial: number | null
  /** The state lock's holder, or null when unlocked. */
  lock: StateLockInfo | null
  components: ComponentStatusRow[]
  changes: ChangeStatusRow[]
}

export interface StatusInputs {
  project: string
  file: string
  stateFile: string
  spec: CompctlFile
  state: CompctlState | null
  observed: Record<string, Observation>
  lock: StateLockInfo | null
  /** An apply holds the state lock now: pending steps are under way, not interrupted. */
  applyRunning: boolean
  now: Date
}

/** Joins the file, the state and what refresh saw into one row per component and change. */
export function buildStatusReport(input: StatusInputs): StatusReport {
  const fileComponents = input.spec.components ?? {}
  const fileChanges = input.spec.changes ?? {}
  const stateComponents = input.state?.components ?? {}
  const stateChanges = input.state?.changes ?? {}

  const componentNames = [...new Set([...Object.keys(fileComponents), ...Object.keys(stateComponents)])].sort(byCodeUnits)
  const components = componentNames.map((name): ComponentStatusRow => {
    const desired = fileComponents[name]
    const recorded = stateComponents[name]
    const recordedSpec = recorded?.spec as Partial<Component> | undefined
    const kind = (desired ? desired.kind : recordedSpec?.kind) ?? 'dispensable'
    if (!recorded)
      return {name, kind, status: 'not_started', recordedStatus: null, pid: null, startedAt: null, uptimeSeconds: null, restarts: 0, lastError: null, inFile: true, inState: false, pending: null}
    const observation = input.observed[name]
    const status = componentStatus(recorded.status, observation, recorded.pending, input.applyRunning)
    const live = observation?.alive === true && observation.sameProcess
    const started = recorded.startedAt ? Date.parse(recorded.startedAt) : NaN
    return {
      name,
      kind,
      status,
      recordedStatus: recorded.status,
      pid: recorded.pid ?? null,
      startedAt: recorded.startedAt ?? null,
      uptimeSeconds: live && Number.isFinite(started) ? Math.max(0, Math.floor((input.now.getTime() - started) / 1000)) : null,
      restarts: recorded.restarts ?? 0,
      lastError: recorded.lastError ?? null,
      inFile: desired !== undefined,
      inState: true,
      pending: pendingInfo(recorded.pending),
    }
  })

  const changeNames = [...new Set([...Object.keys(fileChanges), ...Object.keys(stateChanges)])].sort(byCodeUnits)
  const changes = changeNames.map((name): ChangeStatusRow => {
    const desired = fileChanges[name]
    const recorded = stateChanges[name]
    const declared = desired ? (desired.targets ?? [{name: 'local'}]).map((t) => t.name) : []
    const recordedTargets = recorded?.targets ?? {}
    const targetNames = [...declared, ...Object.keys(recordedTargets).filter((t) => !declared.includes(t)).sort(byCodeUnits)]
    const targets = targetNames.map((target): TargetStatusRow => {
      const outcome = recordedTargets[target]
      return {name: target, outcome: outcome?.outcome ?? null, at: outcome?.at ?? null, attempts: outcome?.attempts ?? null, error: outcome?.error ?? null}
    })
    let status: ChangeStatus = recorded ? recorded.status : 'not_run'
    if (recorded?.pending && !input.applyRunning) status = 'interrupted'
    return {
      name,
      status,
      lastRunAt: recorded?.lastRunAt ?? null,
      inFile: desired !== undefined,
      inState: recorded !== undefined,
      pending: pendingInfo(recorded?.pending),
      targets,
    }
  })

  return {
    format_version: '1',
    project: input.project,
    file: input.file,
    stateFile: input.stateFile,
    lineage: input.state?.lineage ?? null,
    serial: input.state?.serial ?? null,
    lock: input.lock,
    components,
    changes,
  }
}

function componentStatus(recorded: string, observation: Observation | undefined, pending: PendingStep | undefined, applyRunning: boolean): ComponentStatus {
  if (pending && !applyRunning) return 'interrupted'
  if (recorded === 'stopped' || recorded === 'failed') return recorded
  if (observation?.alive && observation.sameProcess) return recorded === 'starting' || recorded === 'stopping' ? recorded : 'running'
  if (observation?.alive) return 'pid_reused'
  return recorded === 'stopping' ? 'stopped' : 'exited'
}

function pendingInfo(pending: PendingStep | undefined): PendingInfo | null {
  return pending ? {action: pending.action, since: pending.since} : null
}

/** `45s`, `3m12s`, `2h05m`, `3d04h`. */
export function formatUptime(seconds: number): string {
  const two = (n: number) => n.toString().padStart(2, '0')
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${two(seconds % 60)}s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${two(Math.floor((seconds % 3600) / 60))}m`
  return `${Math.floor(seconds / 86_400)}d${two(Math.floor((seconds % 86_400) / 3600))}h`
}

/** ISO time without milliseconds: the column stays narrow and the precision is never needed. */
function shortTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace(/\.\d+Z$/, 'Z')
}

const STATUS_TEXT: Record<ComponentStatus | ChangeStatus, string> = {
  running: 'running',
  starting: 'starting',
  stopping: 'stopping',
  exited: 'exited',
  pid_reused: 'pid reused',
  stopped: 'stopped',
  failed: 'failed',
  not_started: 'not started',
  interrupted: 'interrupted',
  success: 'success',
  not_run: 'not run',
}

/** Columns padded to their widest cell; the last one is left ragged. */
export function alignColumns(rows: string[][]): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd())
}

/** `compctl status` for people: a table of components, one of change targets, the lock and what needs attention. */
export function renderStatusText(report: StatusReport): string {
  const lines: string[] = []
  if (report.lineage === null) lines.push(`Nothing has been applied yet: there is no state at ${report.stateFile}.`)
  else lines.push(`Project ${report.project}: state ${report.stateFile} (serial ${report.serial})`)
  if (report.lock) lines.push(`State lock: held by ${report.lock.operation} by ${report.lock.who}, pid ${report.lock.pid}, since ${shortTime(report.lock.created)} (lock id ${report.lock.id})`)

  if (report.components.length > 0) {
    lines.push('', 'Components')
    const rows = [['NAME', 'KIND', 'STATUS', 'PID', 'UPTIME', 'RESTARTS', 'LAST ERROR']]
    for (const c of report.components) {
      rows.push([
        c.name,
        c.kind,
        STATUS_TEXT[c.status],
        c.pid === null ? '-' : String(c.pid),
        c.uptimeSeconds === null ? '-' : formatUptime(c.uptimeSeconds),
        String(c.restarts),
        c.lastError === null ? '-' : oneLine(c.lastError),
      ])
    }
    lines.push(...alignColumns(rows))
  }

  if (report.changes.length > 0) {
    lines.push('', 'Changes')
    const rows = [['NAME', 'STATUS', 'TARGET', 'OUTCOME', 'AT', 'ATTEMPTS', 'ERROR']]
    for (const change of report.changes) {
      change.targets.forEach((t, i) => {
        rows.push([
          i === 0 ? change.name : '',
          i === 0 ? STATUS_TEXT[change.status] : '',
          t.name,
          t.outcome ?? 'not run',
          shortTime(t.at),
          t.attempts === null ? '-' : String(t.attempts),
          t.error === null ? '-' : oneLine(t.error),
        ])
      })
      if (change.targets.length === 0) rows.push([change.name, STATUS_TEXT[change.status], '-', '-', '-', '-', '-'])
    }
    lines.push(...alignColumns(rows))
  }

  if (report.components.length + report.changes.length === 0) lines.push('', 'No components or changes, in the file or the state.')

  const notes = attentionNotes(report)
  if (notes.length > 0) lines.push('', 'Needs attention:', ...notes.map((n) => `  ${n}`))
  return lines.join('\n') + '\n'
}

function attentionNotes(report: StatusReport): string[] {
  const notes: string[] = []
  const inProgress = (p: PendingInfo) => `${p.action} under way since ${shortTime(p.since)} (the running ${report.lock?.operation ?? 'apply'} holds the state lock)`
  for (const c of report.components) {
    if (c.status === 'exited') notes.push(`${c.name}: recorded ${c.recordedStatus}, but process ${c.pid ?? '(none recorded)'} is gone (drift): \`compctl plan\` will start it again.`)
    if (c.status === 'pid_reused') notes.push(`${c.name}: pid ${c.pid} now belongs to another process; compctl will not signal it, and \`compctl plan\` will start ${c.name} again.`)
    if (c.status === 'interrupted' && c.pending) notes.push(`${c.name}: a ${c.pending.action} began at ${shortTime(c.pending.since)} and never ended: the next apply finishes or re-runs it.`)
    else if (c.pending) notes.push(`${c.name}: ${inProgress(c.pending)}.`)
    if (!c.inFile) notes.push(`${c.name}: no longer in ${report.file}: \`compctl plan\` will stop it.`)
  }
  for (const change of report.changes) {
    if (change.status === 'interrupted' && change.pending) notes.push(`${change.name}: a run began at ${shortTime(change.pending.since)} and never ended: the next apply re-runs it.`)
    else if (change.pending) notes.push(`${change.name}: ${inProgress(change.pending)}.`)
    if (!change.inFile) notes.push(`${change.name}: no longer in ${report.file}.`)
  }
  return notes
}

function oneLine(text: string): string {
  const first = text.split('\n')[0] ?? ''
  return first.length > 80 ? first.slice(0, 79) + '…' : first
}
