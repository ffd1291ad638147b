import {randomUUID} from 'node:crypto'
import {closeSync, fsyncSync, linkSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {hostname, userInfo} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {UserError} from '../errors.js'
import {processExists, readStartTime} from '../process/observe.js'
import {formatMs} from '../util/duration.js'
import {describeFsFault} from '../util/fs-fault.js'
import {makePrivateDirSync, openPrivateSync, unlinkIfPossible} from '../util/private-files.js'
import {removeAbandonedTemporaries, temporaryPath} from './temporary.js'

export const STATE_LOCK_FILE = 'compctl.lock'
/** Held while one process replaces a stale lock, so two takers cannot both win. */
const TAKEOVER_FILE = 'compctl.lock.takeover'
/** How often a waiter looks at the lock again. */
export const RECHECK_MS = 200
const TAKEOVER_RECHECK_MS = 25
/** How long, past the caller's timeout, a live process may hold the takeover marker before we give up. */
const TAKEOVER_GRACE_MS = 5000

/** Who holds `<stateDir>/compctl.lock`, as written in it. */
export interface StateLockInfo {
  id: string
  /** apply | destroy | supervise */
  operation: string
  /** user@host */
  who: string
  host: string
  pid: number
  /** The holder's start time (/proc/PID/stat field 22): a reused pid is not the holder. */
  startTime: number | null
  /** ISO 8601 time the lock was taken. */
  created: string
  /** The holder's compctl version, when it said. */
  version?: string
}

export interface HeldStateLock {
  info: StateLockInfo
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): Promise<void>
}

export interface AcquireOptions {
  operation: string
  /** 0: fail at once when the lock is held; otherwise wait up to this long. */
  timeoutMs: number
  signal?: AbortSignal
  /** Says when a stale lock is taken over, or that we wait. */
  onNote?: (message: string) => void
  version?: string
}

type HolderState = 'alive' | 'gone' | 'reused' | 'elsewhere'

export function stateLockPath(stateDir: string): string {
  return join(stateDir, STATE_LOCK_FILE)
}

/**
 * Takes the state lock: at once, or waiting up to `timeoutMs`. A lock whose holder process is gone
 * (on this host) is taken over. Fails with a UserError naming the holder.
 */
export async function acquireStateLock(stateDir: string, options: AcquireOptions): Promise<HeldStateLock> {
  try {
    return await acquire(stateDir, options)
  } catch (error) {
    const fault = describeFsFault(error)
    if (fault === null) throw error
    throw new UserError(`${stateLockPath(stateDir)}: cannot take the state lock: ${fault}`, {
      hint: `Free space in, or make writable, the state folder ${stateDir}, then run compctl again.`,
    })
  }
}

async function acquire(stateDir: string, options: AcquireOptions): Promise<HeldStateLock> {
  makePrivateDirSync(stateDir)
  const path = stateLockPath(stateDir)
  removeAbandonedTemporaries(path)
  const info = ownInfo(options.operation, options.version)
  const text = JSON.stringify(info, null, 2) + '\n'
  const deadline = Date.now() + Math.max(0, options.timeoutMs)
  let announced = false
  for (;;) {
    options.signal?.throwIfAborted()
    if (createExclusive(path, text)) return held(path, info)
    const current = readLockFile(path)
    if (current === null) continue
    const holder = holderState(current)
    if (holder === 'gone' || holder === 'reused') {
      const outcome = takeOver(stateDir, current, holder, options.onNote)
      if (outcome === 'done') continue
      if (Date.now() >= deadline + TAKEOVER_GRACE_MS) throw heldError(path, current, holder, options.timeoutMs)
      await pause(TAKEOVER_RECHECK_MS, options.signal)
      continue
    }
    const left = deadline - Date.now()
    if (left <= 0) throw heldError(path, current, holder, options.timeoutMs)
    if (!announced) {
      announced = true
      options.onNote?.(`Waiting up to ${formatMs(left)} for the state lock ${path}, held by ${describeHolder(current)}.`)
    }
    await pause(Math.min(RECHECK_MS, left), options.signal)
  }
}

/** The current holder, or null when the state is not locked. */
export async function readStateLock(stateDir: string): Promise<StateLockInfo | null> {
  return readLockFile(stateLockPath(stateDir))
}

/** Removes the lock if its id is `id`; returns what it removed. */
export async function forceUnlock(stateDir: string, id: string): Promise<StateLockInfo> {
  const path = stateLockPath(stateDir)
  const current = readLockFile(path)
  if (current === null) throw new UserError(`${path}: the state is not locked: there is no lock to remove.`)
  if (current.id !== id)
    throw new UserError(`${path}: the state lock's id is ${current.id}, not ${id} (held by ${describeHolder(current)}).`, {
      hint: `Nothing was removed. If you are sure that holder is gone, run: compctl force-unlock ${current.id}`,
    })
  const removed = removeIfId(path, id)
  if (removed === null) throw new UserError(`${path}: the state lock changed while it was being removed; nothing was removed. Look again with: compctl status`)
  return removed
}

/** The holder for messages: `apply by ann@web1, pid 123, since 2024-...`. */
export function describeHolder(info: StateLockInfo): string {
  return `${info.operation} by ${info.who}, pid ${info.pid}, since ${info.created} (lock id ${info.id})`
}

/** Whether the holder still runs: only answerable on its own host. */
export function holderState(info: Pick<StateLockInfo, 'host' | 'pid' | 'startTime'>): HolderState {
  if (info.host !== hostname()) return 'elsewhere'
  // Without /proc (or without a recorded start time) only the pid's existence can be checked.
  if (info.startTime === null || readStartTime(process.pid) === null) return processExists(info.pid) ? 'alive' : 'gone'
  const startTime = readStartTime(info.pid)
  if (startTime === null) return 'gone'
  return startTime === info.startTime ? 'alive' : 'reused'
}

function held(path: string, info: StateLockInfo): HeldStateLock {
  let released = false
  return {
    info,
    async release() {
      if (released) return
      released = true
      removeIfId(path, info.id)
    },
  }
}

/** A new lock record for this process. */
export function ownInfo(operation: string, version: string | undefined): StateLockInfo {
  const host = hostname()
  const info: StateLockInfo = {
    id: randomUUID(),
    operation,
    who: `${currentUser()}@${host}`,
    host,
    pid: process.pid,
    startTime: readStartTime(process.pid),
    created: new Date().toISOString(),
  }
  if (version !== undefined) info.version = version
  return info
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`
  }
}

/**
 * Removes a stale lock under the takeover marker. 'done': the stale lock is gone, or changed meanwhile
 * (the caller looks again; its own create may still lose to a plain acquirer); 'busy': another process is at it.
 */
function takeOver(stateDir: string, stale: StateLockInfo, why: 'gone' | 'reused', onNote: AcquireOptions['onNote']): 'done' | 'busy' {
  const markerPath = join(stateDir, TAKEOVER_FILE)
  const marker = ownInfo('takeover', undefined)
  if (!createExclusive(markerPath, JSON.stringify(marker))) {
    clearDeadMarker(markerPath)
    return 'busy'
  }
  try {
    const removed = removeIfId(stateLockPath(stateDir), stale.id)
    if (removed !== null) {
      const reason = why === 'gone' ? 'that process is gone' : `pid ${stale.pid} now belongs to another process`
      onNote?.(`Took over the state lock ${stateLockPath(stateDir)} from ${describeHolder(stale)}: ${reason}.`)
    }
    return 'done'
  } finally {
    removeIfId(markerPath, marker.id)
  }
}

/** A taker killed mid-takeover leaves its marker behind: remove it, unless it changed meanwhile. */
function clearDeadMarker(markerPath: string): void {
  let text: string
  try {
    text = readFileSync(markerPath, 'utf8')
  } catch {
    return
  }
  const marker = parseLockInfo(text)
  if (marker === null) {
    // Markers are written whole (link of a complete file): an unreadable one is not ours.
    unlinkIfPossible(markerPath)
    return
  }
  const state = holderState(marker)
  if (state === 'gone' || state === 'reused') removeIfId(markerPath, marker.id)
}

/*
 * The lock's files are small and few, and nothing else runs while a lock is taken or given back:
 * synchronous calls, each one system call, instead of a trip through libuv's thread pool apiece
 * (taking and releasing the lock took ~3 ms of a no-op apply's wall time that way, waiting).
 */

/** Creates `path` with `text` only if it does not exist; readers never see it partly written. */
function createExclusive(path: string, text: string): boolean {
  const temporary = temporaryPath(path)
  const fd = openPrivateSync(temporary, 'wx')
  try {
    try {
      writeFileSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    linkSync(temporary, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    unlinkIfPossible(temporary)
  }
}

/**
 * Removes the lock at `path` only if its id is `id`, without a check-then-delete race: the file is
 * moved aside first, and put back if it turns out to be another one. Returns what it removed.
 */
function removeIfId(path: string, id: string): StateLockInfo | null {
  const aside = temporaryPath(path)
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  try {
    const moved = parseLockInfo(readFileSync(aside, 'utf8'))
    if (moved !== null && moved.id === id) return moved
    try {
      linkSync(aside, path)
    } catch {}
    return null
  } finally {
    unlinkIfPossible(aside)
  }
}

function readLockFile(path: string): StateLockInfo | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new UserError(`${path}: cannot read the state lock: ${(error as Error).message}`)
  }
  const info = parseLockInfo(text)
  if (info === null)
    throw new UserError(`${path}: the state lock is unreadable (not a lock written by compctl).`, {
      hint: `If no compctl is running on this state, delete ${path}.`,
    })
  return info
}

export function parseLockInfo(text: string): StateLockInfo | null {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null) return null
  const info = data as Record<string, unknown>
  const valid =
    typeof info.id === 'string' &&
    typeof info.operation === 'string' &&
    typeof info.who === 'string' &&
    typeof info.host === 'string' &&
    Number.isInteger(info.pid) &&
    (info.startTime === null || typeof info.startTime === 'number') &&
    typeof info.created === 'string'
  return valid ? (data as StateLockInfo) : null
}

export function heldError(path: string, holder: StateLockInfo, state: HolderState, timeoutMs: number): UserError {
  const prefix = timeoutMs > 0 ? `still locked after ${formatMs(timeoutMs)}` : 'the state is locked'
  const where = state === 'elsewhere' ? ` It is held from host ${holder.host}: compctl cannot check whether that process still runs.` : ''
  const wait = timeoutMs > 0 ? '' : 'Retry when it is done, or wait for it with --lock-timeout DURATION. '
  return new UserError(`${path}: ${prefix}: ${describeHolder(holder)}.${where}`, {
    hint: `${wait}If you are sure it is stale, remove it with: compctl force-unlock ${holder.id}`,
  })
}

export async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, {signal})
  } catch (error) {
    signal?.throwIfAborted()
    throw error
  }
}
