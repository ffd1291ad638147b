import {setTimeout as sleep} from 'node:timers/promises'
import {monotonicMs} from '../util/clock.js'
import {formatMs} from '../util/duration.js'
import {isOwnUser, observe, readProcessGroups, readProcStat, readStartTime, refusedPid, type ProcessIdentity, type ProcStat} from './observe.js'

export type StopOutcome = 'stopped' | 'killed' | 'already-gone' | 'not-ours'

export interface StopResult {
  outcome: StopOutcome
  detail: string
}

export interface StopOptions {
  /** Sent first to the process group. Default SIGTERM. */
  signal?: NodeJS.Signals
  /** How long the group gets to exit before SIGKILL. Default 10s. */
  timeoutMs?: number
  onProgress?: (message: string) => void
}

const DEFAULT_TIMEOUT_MS = 10_000
const CHECK_INTERVAL_MS = 50
const FIRST_CHECK_MS = 5
/** Checks between full /proc scans of a group's members. */
const FULL_SCAN_EVERY = 10
/** SIGKILL cannot be caught: past this, only a process stuck in the kernel is left. */
const KILL_WAIT_MS = 5_000

/** Every process's /proc/PID/stat, by process group, and when reading them began and how long it took. */
interface ProcScan {
  startedAt: number
  durationMs: number
  groups: Map<number, ProcStat[]>
}
let lastScan: ProcScan | undefined
let scans = 0

/** How many times this process has scanned /proc: for tests and benches of the sharing below. */
export function procScanCount(): number {
  return scans
}

function scanProc(): ProcScan {
  scans++
  const startedAt = monotonicMs()
  const groups = readProcessGroups()
  lastScan = {startedAt, durationMs: monotonicMs() - startedAt, groups}
  return lastScan
}

/**
 * The processes whose process group is `pgid` (zombies included, marked), from a scan of /proc
 * begun at `since` or later. A scan reads every process of the host: a hundred stops at once, each
 * scanning on its own, made teardown grow with components × the host's processes (100 components
 * beside 1,100 other processes: 2.2 s). So stops share scans. By default a scan is taken if it
 * ended no longer ago than it took: what it says is at most twice as old as what a scan of one's
 * own says by the time it ends. The caller reads anything it acts on (a member's user, whether it
 * still lives) afresh.
 */
function groupMembers(pgid: number, since = monotonicMs() - 2 * (lastScan?.durationMs ?? 0)): ProcStat[] {
  const scan = lastScan !== undefined && lastScan.startedAt >= since ? lastScan : scanProc()
  return scan.groups.get(pgid) ?? []
}

/**
 * Watches a process group until no live member is left. Exited members stay zombies until
 * someone reaps them (where pid 1 does not, forever), so `kill(-pgid, 0)` alone cannot tell; a
 * full /proc scan finds the members, and between scans only the known ones are re-read: a
 * hundred concurrent stops must not each read every /proc entry every few milliseconds.
 */
class GroupWatch {
  private known: number[] | null = null
  private checks = 0

  /** `signalledAt`: when the group was signalled; the first scan is one begun after it, so it sees every member the signal could have missed. */
  constructor(
    private readonly identity: ProcessIdentity,
    private readonly signalledAt: number,
  ) {}

  /** Whether the component is still there: its leader (the very same process) or any live member of its group. */
  alive(): boolean {
    const leader = observe(this.identity)
    if (leader.alive && leader.sameProcess) return true
    try {
      process.kill(-this.identity.pid, 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    }
    // A member may have forked since the last scan: rescan now and then.
    if (this.known === null || this.checks++ % FULL_SCAN_EVERY === 0)
      this.known = groupMembers(this.identity.pid, this.known === null ? this.signalledAt : undefined).map((m) => m.pid)
    this.known = this.known.filter((pid) => {
      const member = readProcStat(pid)
      return member !== null && !member.zombie
    })
    return this.known.length > 0
  }
}

function send(target: number, signal: NodeJS.Signals): boolean {
  // The second line of defence: whatever the state says, kill(2) never gets -1, 0, 1 or compctl itself.
  const refused = refusedPid(Math.abs(target))
  if (refused !== null) throw new Error(`refused to send ${signal} to ${target < 0 ? 'process group' : 'pid'} ${Math.abs(target)}: ${refused}`)
  try {
    process.kill(target, signal)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw new Error(`cannot send ${signal} to ${target < 0 ? `process group ${-target}` : `pid ${target}`}: ${(error as Error).message}`)
  }
}

/**
 * Signals the group, and the leader directly if it moved itself to another group (setsid), so it is
 * signalled once either way. False when nothing was there to signal.
 */
function sendToComponent(identity: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const sentToGroup = sendToGroup(identity.pid, signal)
  const leader = observe(identity)
  const leaderElsewhere = leader.alive && leader.sameProcess && readProcStat(identity.pid)?.pgid !== identity.pid
  return (leaderElsewhere && send(identity.pid, signal)) || sentToGroup
}

/**
 * Signals the group at once when every live member is compctl's user's; otherwise (a member that
 * changed its user) only the members of compctl's user, one by one.
 */
function sendToGroup(pgid: number, signal: NodeJS.Signals): boolean {
  const members = groupMembers(pgid).filter((member) => !member.zombie)
  const own = members.filter((member) => isOwnUser(member.pid))
  if (own.length === members.length) return send(-pgid, signal)
  let sent = false
  for (const member of own) sent = send(member.pid, signal) || sent
  return sent
}

/** Waits until the group, signalled by `signalledAt` (monotonicMs() after the kill), has no live member. */
async function waitUntilGone(identity: ProcessIdentity, signalledAt: number, timeoutMs: number): Promise<boolean> {
  const deadline = monotonicMs() + timeoutMs
  const watch = new GroupWatch(identity, signalledAt)
  // Most processes exit within milliseconds of the signal: check soon, then back off.
  let interval = FIRST_CHECK_MS
  for (;;) {
    if (!watch.alive()) return true
    if (monotonicMs() >= deadline) return false
    await sleep(Math.min(interval, Math.max(deadline - monotonicMs(), 1)))
    interval = Math.min(interval * 2, CHECK_INTERVAL_MS)
  }
}

/**
 * Members left in the group of a leader that is gone. A pid held as a process group id is not handed
 * out again while the group has members, and all of them started no earlier than the leader: such
 * members are the component's own leftovers (what its leader ran in the background).
 */
function leftoversOf(identity: ProcessIdentity): ProcStat[] {
  return groupMembers(identity.pid).filter((member) => !member.zombie && member.startTime >= identity.startTime && isOwnUser(member.pid))
}

/**
 * Stops a component's process group: `signal` (default SIGTERM) to the group, then SIGKILL after
 * `timeoutMs`, and waits until no member is left. A pid whose start time differs from the recorded
 * one is never signalled. Works for processes this compctl did not start.
 */
export async function stopProcess(identity: ProcessIdentity, options: StopOptions = {}): Promise<StopResult> {
  const signal = options.signal ?? 'SIGTERM'
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const progress = options.onProgress ?? (() => {})
  const {pid} = identity
  const refused = refusedPid(pid)
  if (refused !== null) return {outcome: 'not-ours', detail: `${refused}; not signalled`}
  const leader = observe(identity)
  if (leader.alive && !leader.sameProcess) return {outcome: 'not-ours', detail: notOursDetail(identity)}
  let leftNote = ''
  if (!leader.alive) {
    const leftovers = leftoversOf(identity)
    if (leftovers.length === 0) return {outcome: 'already-gone', detail: `pid ${pid} was not running`}
    leftNote = `pid ${pid} had exited; its group still had ${leftovers.length} process(es): `
  }

  const started = monotonicMs()
  if (!sendToComponent(identity, signal)) return {outcome: 'already-gone', detail: `pid ${pid} exited before it was signalled`}
  progress(`sent ${signal} to process group ${pid}; waiting up to ${formatMs(timeoutMs)}`)
  if (await waitUntilGone(identity, monotonicMs(), timeoutMs)) {
    return {outcome: 'stopped', detail: `${leftNote}stopped by ${signal} in ${formatMs(monotonicMs() - started)}`}
  }

  progress(`process group ${pid} still running ${formatMs(timeoutMs)} after ${signal}; sending SIGKILL`)
  sendToComponent(identity, 'SIGKILL')
  const gone = await waitUntilGone(identity, monotonicMs(), KILL_WAIT_MS)
  const remaining = gone ? '' : `; still present ${formatMs(KILL_WAIT_MS)} later: pids ${groupMembers(pid).filter((member) => !member.zombie).map((member) => member.pid).join(', ')}`
  return {outcome: 'killed', detail: `${leftNote}did not stop within ${formatMs(timeoutMs)} of ${signal}; killed with SIGKILL${remaining}`}
}

function notOursDetail(identity: ProcessIdentity): string {
  if (readStartTime(identity.pid) === identity.startTime)
    return `pid ${identity.pid} belongs to another user (compctl signals only its own user's processes); not signalled`
  return `pid ${identity.pid} is now another process (its start time differs from the recorded one); not signalled`
}

/** Sends a signal (e.g. reload's SIGHUP) to the process group, only if the identity still matches. */
export function signalProcess(identity: ProcessIdentity, signal: NodeJS.Signals): 'sent' | 'gone' | 'not-ours' {
  if (refusedPid(identity.pid) !== null) return 'not-ours'
  const leader = observe(identity)
  if (!leader.alive) return 'gone'
  if (!leader.sameProcess) return 'not-ours'
  return sendToComponent(identity, signal) ? 'sent' : 'gone'
}
