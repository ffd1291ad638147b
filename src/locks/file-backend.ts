import {constants, watch, type FSWatcher, type Stats} from 'node:fs'
import {chmod, lstat, mkdir, open, readdir, rename, stat, unlink, utimes} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {ownUid, readRealUid, readStartTime} from '../process/observe.js'
import {makePrivateDir, openPrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE} from '../util/private-files.js'
import {assertLockName, holderOf, newRequestId, PendingRequest, requestRecord, splitQueue, type RequestRecord} from './pending.js'
import {LockAbortedError, type AcquireRequest, type HeldLock, type LockBackend, type LockHolder, type LockStatus} from './types.js'

/*
 * One folder per lock: <dir>/<project>/<lock>/. A request is a ticket file `<number>.<id>.json`,
 * ordered by (number, id) — Lamport's bakery algorithm, with files as its registers:
 *   1. doorway: create `choosing.<id>`, take a number above every ticket number it sees (the
 *      time the request began, or 1 + the highest), create the ticket, remove `choosing.<id>`;
 *   2. wait until no `choosing.*` is left (one directory read), then read the tickets (a second
 *      read): the request holds the lock when fewer than `holders` tickets are ahead of it.
 * A request that passes the doorway after another ticket exists sees it and numbers itself
 * higher, so grants are first come, first served and never exceed `holders`, without a mutex
 * that a dying process could leave behind. Every file appears by rename, so it is never read
 * half-written. A ticket whose process is gone (pid dead, or reused: its start time differs) is
 * removed by whoever notices. A holder's ticket mtime is set when it is granted.
 *
 * The folder may be shared with other users (settings.locks.dir), or planted by one (the default
 * per-user folder is checked): no symlink in it is ever followed, only regular files written like
 * compctl's count, and anything else is reported once by its path and ignored — an entry can
 * neither block a waiter forever nor crash it, and compctl deletes only entries compctl wrote.
 */

const CHOOSING = 'choosing.'
const TEMPORARY = '.tmp.'
const TICKET = /^(\d+)\.([0-9a-f]+)\.json$/
/** A folder with it makes what is created in it its group's (node's fs.constants lacks S_ISGID). */
const SET_GROUP_ID = 0o2000
/** A ticket is a few hundred bytes; anything larger is not one. */
const MAX_ENTRY_BYTES = 4096
/** Dead holders leave no event behind: waiters also look again this often. */
const SAFETY_RECHECK_MS = 1000

interface Ticket {
  name: string
  number: number
  id: string
  record: RequestRecord
}

interface QueueView {
  /** Some request is in the doorway: no grant may be decided now. */
  doorwayBusy: boolean
  tickets: Ticket[]
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error
  }
}

type EntryRead = {kind: 'record'; record: RequestRecord} | {kind: 'gone'} | {kind: 'ignored'; why: string}

function isRecord(value: unknown): value is RequestRecord {
  const record = value as Partial<RequestRecord> | null
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.project === 'string' &&
    typeof record.host === 'string' &&
    Number.isInteger(record.pid) &&
    record.pid! > 1 &&
    (record.startTime === undefined || record.startTime === null || Number.isInteger(record.startTime)) &&
    typeof record.id === 'string' &&
    Number.isInteger(record.holders) &&
    record.holders! >= 1 &&
    typeof record.requested === 'string' &&
    (record.step === undefined || typeof record.step === 'string')
  )
}

/**
 * Reads a ticket or doorway entry without following a symlink or blocking on a FIFO. Its content
 * is never shown (a hard link could point at any file the reader may read).
 */
async function readEntry(path: string, host: string, privateRoot: boolean): Promise<EntryRead> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return {kind: 'gone'}
    return {kind: 'ignored', why: code === 'ELOOP' ? 'it is a symlink' : `it cannot be read (${code ?? (error as Error).message})`}
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) return {kind: 'ignored', why: 'it is not a regular file'}
    // No name left: its writer removed it between the open and this look (a doorway entry is short-lived).
    if (info.nlink === 0) return {kind: 'gone'}
    if (info.nlink > 1) return {kind: 'ignored', why: 'it has other names (hard links)'}
    if (privateRoot && info.uid !== ownUid()) return {kind: 'ignored', why: `it belongs to uid ${info.uid}, not to this user`}
    if (info.size > MAX_ENTRY_BYTES) return {kind: 'ignored', why: 'it is too large to be a lock entry'}
    const buffer = Buffer.alloc(MAX_ENTRY_BYTES + 1)
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0)
    let record: unknown
    try {
      record = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8'))
    } catch {
      return {kind: 'ignored', why: 'it is not JSON'}
    }
    if (!isRecord(record)) return {kind: 'ignored', why: 'it is not a lock entry written by compctl'}
    // A request's process runs as the user who wrote its file: one naming another user's process (pid 1, say) is forged.
    const processUid = record.host === host ? readRealUid(record.pid) : null
    if (processUid !== null && processUid !== info.uid) return {kind: 'ignored', why: `it names pid ${record.pid}, a process of uid ${processUid}, but belongs to uid ${info.uid}`}
    return {kind: 'record', record}
  } finally {
    await handle.close()
  }
}

/** Whether the process that made a request is certainly gone. Other hosts' processes cannot be checked. */
function ownerGone(owner: {host: string; pid: number; startTime?: number | null}, host: string): boolean {
  if (owner.host !== host) return false
  const startTime = readStartTime(owner.pid)
  if (startTime === null) return true
  return owner.startTime !== undefined && owner.startTime !== null && owner.startTime !== startTime
}

function pidOfTemporary(name: string): number | null {
  const pid = Number(name.slice(TEMPORARY.length).split('.')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

export interface FileLockOptions {
  /**
   * The default per-user folder: created 0700 and refused unless it is this user's own folder, not
   * a symlink, and writable by nobody else; every entry in it must be this user's.
   */
  privateRoot?: boolean
  /** Where an ignored entry is reported (once per path). Default: a warning line on stderr. */
  report?: (message: string) => void
}

function reportOnStderr(message: string): void {
  process.stderr.write(`compctl: warning: ${message}\n`)
}

export class FileLockBackend implements LockBackend {
  private readonly host = hostname()
  private readonly active = new Set<{abandon(): Promise<void>}>()
  private readonly privateRoot: boolean
  private readonly report: (message: string) => void
  private readonly reported = new Set<string>()
  private modes: Promise<{dir: number; file: number}> | null = null

  constructor(
    /** Absolute folder of lock files, shared by every project. */
    readonly root: string,
    readonly project: string,
    options: FileLockOptions = {},
  ) {
    this.privateRoot = options.privateRoot ?? false
    this.report = options.report ?? reportOnStderr
  }

  private lockDir(lock: string): string {
    return join(this.root, this.project, lock)
  }

  private ignore(path: string, why: string): void {
    if (this.reported.has(path)) return
    this.reported.add(path)
    this.report(`${path}: ignored: ${why}; compctl neither follows, reads further nor deletes it. Remove it if no compctl wrote it.`)
  }

  /**
   * Checks the root (once) and returns the modes of what compctl creates in it: in the private
   * folder 0700/0600; in a folder an operator shares with a group, the group gets what it has on
   * the folder (its members must see and clean each other's tickets), others nothing.
   */
  private folderModes(): Promise<{dir: number; file: number}> {
    this.modes ??= (async () => {
      if (this.privateRoot) {
        await checkPrivateRoot(this.root)
        return {dir: PRIVATE_DIR_MODE, file: PRIVATE_FILE_MODE}
      }
      let info: Stats
      try {
        await makePrivateDir(this.root)
        info = await stat(this.root)
      } catch (error) {
        throw new UserError(`cannot create the lock folder ${this.root}: ${(error as Error).message}`, {
          hint: 'Set settings.locks.dir to a folder compctl may write, shared by every compctl of this project on this host.',
        })
      }
      const group = info.mode & 0o070
      return {dir: PRIVATE_DIR_MODE | group | (info.mode & SET_GROUP_ID), file: PRIVATE_FILE_MODE | (group & 0o060)}
    })()
    this.modes.catch(() => (this.modes = null))
    return this.modes
  }

  /** Creates (or checks) a folder below the root: never through a symlink. */
  private async folder(path: string): Promise<void> {
    const {dir} = await this.folderModes()
    try {
      await mkdir(path, {mode: dir})
      await chmod(path, dir)
    } catch (error) {
      if (errorCode(error) !== 'EEXIST')
        throw new UserError(`cannot create the lock folder ${path}: ${(error as Error).message}`, {
          hint: 'Set settings.locks.dir to a folder compctl may write, shared by every compctl of this project on this host.',
        })
    }
    const info = await lstat(path)
    if (info.isSymbolicLink() || !info.isDirectory())
      throw new UserError(`${path}: the lock folder is ${info.isSymbolicLink() ? 'a symlink' : 'not a folder'}; compctl never follows or replaces it`, {
        hint: `Remove ${path} if no compctl made it, or set settings.locks.dir to a folder of your own.`,
      })
    if (this.privateRoot && info.uid !== ownUid())
      throw new UserError(`${path}: the lock folder belongs to uid ${info.uid}, not to this user`, {hint: `Remove ${path}: nobody else may write in your lock folder.`})
  }

  /** Whether a path below the root is a real folder (not a symlink); for reading what others made. */
  private async isRealFolder(path: string): Promise<boolean> {
    try {
      return (await lstat(path)).isDirectory()
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false
      throw error
    }
  }

  async acquire(request: AcquireRequest): Promise<HeldLock> {
    assertLockName(request.lock)
    if (request.signal?.aborted) throw new LockAbortedError(request.lock)
    const dir = this.lockDir(request.lock)
    await this.folder(join(this.root, this.project))
    await this.folder(dir)
    const id = newRequestId()
    const record = requestRecord(request, id)
    const ticketPath = join(dir, await this.enterQueue(dir, record))
    return this.waitForTurn(request, dir, ticketPath, id)
  }

  /** The bakery doorway: returns the ticket's file name. */
  private async enterQueue(dir: string, record: RequestRecord): Promise<string> {
    // The host's monotonic clock, in µs: requests whose doorways overlap are still served in the
    // order they began (the bakery alone would order them arbitrarily).
    const requestedAt = Number(process.hrtime.bigint() / 1000n)
    const choosing = join(dir, CHOOSING + record.id)
    await this.writeAtomically(dir, choosing, record)
    try {
      let highest = 0
      for (const name of await readdir(dir)) {
        const match = TICKET.exec(name)
        if (match) highest = Math.max(highest, Number(match[1]))
      }
      const number = Math.max(highest + 1, requestedAt)
      const name = `${String(number).padStart(16, '0')}.${record.id}.json`
      await this.writeAtomically(dir, join(dir, name), record)
      return name
    } finally {
      await unlinkQuietly(choosing)
    }
  }

  private async writeAtomically(dir: string, path: string, record: RequestRecord): Promise<void> {
    const temporary = join(dir, `${TEMPORARY}${process.pid}.${newRequestId()}`)
    const {file} = await this.folderModes()
    try {
      const handle = await openPrivate(temporary, 'wx', file)
      try {
        await handle.writeFile(JSON.stringify(record) + '\n')
      } finally {
        await handle.close()
      }
      await rename(temporary, path)
    } catch (error) {
      await unlinkQuietly(temporary)
      throw error
    }
  }

  private waitForTurn(request: AcquireRequest, dir: string, ticketPath: string, id: string): Promise<HeldLock> {
    const pending = new PendingRequest<HeldLock>(request, () => unlinkQuietly(ticketPath))
    let watcher: FSWatcher | undefined
    let safety: NodeJS.Timeout | undefined
    const stopWatching = () => {
      watcher?.close()
      clearInterval(safety)
    }
    const waiting = {abandon: () => pending.giveUp(new LockAbortedError(request.lock, 'cancelled: the lock backend was closed'))}
    this.active.add(waiting)
    void pending.promise
      .catch(() => undefined)
      .finally(() => {
        stopWatching()
        this.active.delete(waiting)
      })

    let running = false
    let again = false
    const check = async (): Promise<void> => {
      if (running) {
        again = true
        return
      }
      running = true
      try {
        do {
          again = false
          await this.decide(request, id, ticketPath, dir, pending)
        } while (again && !pending.settled)
      } catch (error) {
        await pending.giveUp(error)
      } finally {
        running = false
      }
    }
    // Watch before the first look, so no change between the two goes unnoticed.
    try {
      watcher = watch(dir, {persistent: true}, () => void check())
      watcher.on('error', () => undefined)
    } catch {
      watcher = undefined
    }
    safety = setInterval(() => void check(), SAFETY_RECHECK_MS)
    void check()
    return pending.promise
  }

  private async decide(request: AcquireRequest, id: string, ticketPath: string, dir: string, pending: PendingRequest<HeldLock>): Promise<void> {
    if (pending.settled) return
    const view = await this.readQueue(dir)
    if (pending.settled) return
    const {holders, queue} = splitQueue(view.tickets)
    const mine = view.tickets.find((t) => t.id === id)
    if (!mine) {
      pending.fail(new UserError(`lock "${request.lock}": the waiting request ${id} was removed (by \`compctl locks release\`?) before it was granted`))
      return
    }
    if (!view.doorwayBusy && holders.includes(mine)) {
      const now = new Date()
      try {
        await utimes(ticketPath, now, now)
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error
        return
      }
      const held = this.held(request.lock, id, ticketPath, dir)
      if (!pending.grant(held)) await held.release()
      return
    }
    const position = queue.indexOf(mine) + 1
    pending.report({holders: await this.describe(dir, holders), position: Math.max(position, 1)})
  }

  /** Reads a lock's queue in order, removing the entries of processes that are gone. */
  private async readQueue(dir: string): Promise<QueueView> {
    let doorwayBusy = false
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return {doorwayBusy: false, tickets: []}
      throw error
    }
    for (const name of names) {
      if (name.startsWith(CHOOSING)) {
        const record = await this.readValid(join(dir, name))
        if (record === null) continue
        if (ownerGone(record, this.host)) await this.removeStale(join(dir, name))
        else doorwayBusy = true
      } else if (name.startsWith(TEMPORARY)) {
        await this.removeAbandonedTemporary(join(dir, name))
      }
    }
    // The bakery's second read: tickets are read after the doorway was seen empty.
    if (!doorwayBusy) names = await readdir(dir)
    const tickets: Ticket[] = []
    for (const name of names) {
      const match = TICKET.exec(name)
      if (!match) continue
      const record = await this.readValid(join(dir, name))
      if (record === null) continue
      if (ownerGone(record, this.host)) {
        await this.removeStale(join(dir, name))
        continue
      }
      tickets.push({name, number: Number(match[1]), id: match[2]!, record})
    }
    tickets.sort((a, b) => a.number - b.number || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return {doorwayBusy, tickets}
  }

  /** The record of a ticket or doorway entry; null when it is gone or ignored (reported). */
  private async readValid(path: string): Promise<RequestRecord | null> {
    const entry = await readEntry(path, this.host, this.privateRoot)
    if (entry.kind === 'record') return entry.record
    if (entry.kind === 'ignored') this.ignore(path, entry.why)
    return null
  }

  /** Removes a valid entry of a dead process; another user's, in a folder that forbids it, is left to its owner. */
  private async removeStale(path: string): Promise<void> {
    try {
      await unlinkQuietly(path)
    } catch (error) {
      if (errorCode(error) !== 'EPERM' && errorCode(error) !== 'EACCES') throw error
      this.ignore(path, 'its process is gone, and this user may not remove it')
    }
  }

  /** A temporary of a dead compctl of this user (a plain file): compctl wrote it, so compctl removes it. */
  private async removeAbandonedTemporary(path: string): Promise<void> {
    const pid = pidOfTemporary(path.slice(path.lastIndexOf('/') + 1))
    if (pid === null || readStartTime(pid) !== null) return
    let info: Stats
    try {
      info = await lstat(path)
    } catch {
      return
    }
    if (info.isFile() && info.uid === ownUid()) await unlinkQuietly(path)
  }

  private async describe(dir: string, holders: Ticket[]): Promise<LockHolder[]> {
    const described: LockHolder[] = []
    for (const ticket of holders) {
      let since = ticket.record.requested
      try {
        since = (await lstat(join(dir, ticket.name))).mtime.toISOString()
      } catch {}
      described.push(holderOf(ticket.record, since))
    }
    return described
  }

  private held(lock: string, id: string, ticketPath: string, dir: string): HeldLock {
    let released = false
    let resolveLost!: (reason: string) => void
    const lost = new Promise<string>((resolve) => (resolveLost = resolve))
    let watcher: FSWatcher | undefined
    const lookForTicket = async () => {
      if (released) return
      try {
        await stat(ticketPath)
      } catch (error) {
        if (released || errorCode(error) !== 'ENOENT') return
        watcher?.close()
        this.active.delete(holding)
        resolveLost(`its lock file ${ticketPath} was removed (an operator ran \`compctl locks release ${lock} ${id}\`, or the folder was cleaned)`)
      }
    }
    // Not persistent: a held lock must not keep a finished process alive (its ticket dies with it).
    try {
      watcher = watch(dir, {persistent: false}, () => void lookForTicket())
      watcher.on('error', () => undefined)
    } catch {
      watcher = undefined
    }
    void lookForTicket()
    const handle: HeldLock = {
      id,
      lock,
      lost,
      release: async () => {
        if (released) return
        released = true
        watcher?.close()
        this.active.delete(holding)
        await unlinkQuietly(ticketPath)
      },
    }
    const holding = {abandon: () => handle.release()}
    this.active.add(holding)
    return handle
  }

  async status(): Promise<LockStatus[]> {
    if (this.privateRoot) await this.folderModes()
    if (!(await this.isRealFolder(join(this.root, this.project)))) return []
    let locks: string[]
    try {
      locks = (await readdir(join(this.root, this.project), {withFileTypes: true})).filter((e) => e.isDirectory()).map((e) => e.name)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return []
      throw error
    }
    const statuses: LockStatus[] = []
    for (const lock of locks.sort()) {
      const dir = this.lockDir(lock)
      const {tickets} = await this.readQueue(dir)
      if (tickets.length === 0) continue
      const {holders, queue} = splitQueue(tickets)
      statuses.push({
        lock,
        holders: await this.describe(dir, holders),
        queue: queue.map((t) => holderOf(t.record, t.record.requested)),
        limit: tickets[0]!.record.holders,
      })
    }
    return statuses
  }

  async release(lock: string, holderId: string): Promise<boolean> {
    assertLockName(lock)
    const dir = this.lockDir(lock)
    if (!(await this.isRealFolder(join(this.root, this.project))) || !(await this.isRealFolder(dir))) return false
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false
      throw error
    }
    const name = names.find((n) => TICKET.exec(n)?.[2] === holderId)
    if (!name) return false
    const path = join(dir, name)
    if ((await readEntry(path, this.host, this.privateRoot)).kind !== 'record') return false
    try {
      await unlink(path)
      return true
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false
      throw error
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.active].map((entry) => entry.abandon()))
  }
}

/**
 * The default lock folder is per user and private: created 0700, else it must be a folder (not a
 * symlink) owned by this user that nobody else may write — another user could otherwise have
 * made it first and planted entries or symlinks in it.
 */
async function checkPrivateRoot(root: string): Promise<void> {
  try {
    await mkdir(root, {mode: PRIVATE_DIR_MODE})
    await chmod(root, PRIVATE_DIR_MODE)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw new UserError(`cannot create the lock folder ${root}: ${(error as Error).message}`, {hint: 'Set settings.locks.dir to a folder of your own.'})
  }
  const info = await lstat(root)
  const problem = info.isSymbolicLink()
    ? 'is a symlink'
    : !info.isDirectory()
      ? 'is not a folder'
      : info.uid !== ownUid()
        ? `belongs to uid ${info.uid}, not to this user (uid ${ownUid()})`
        : (info.mode & 0o022) !== 0
          ? `may be written by other users (mode ${(info.mode & 0o777).toString(8)})`
          : null
  if (problem)
    throw new UserError(`${root}: the lock folder ${problem}; compctl refuses to use it`, {
      hint: `Remove ${root} (compctl makes it again, private to you), or set settings.locks.dir to another folder.`,
    })
}
