import {watch, type FSWatcher} from 'node:fs'
import {mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {readStartTime} from '../process/observe.js'
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
 */

const CHOOSING = 'choosing.'
const TEMPORARY = '.tmp.'
const TICKET = /^(\d+)\.([0-9a-f]+)\.json$/
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

async function readRecord(path: string): Promise<RequestRecord | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RequestRecord
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null
    throw error
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

export class FileLockBackend implements LockBackend {
  private readonly host = hostname()
  private readonly active = new Set<{abandon(): Promise<void>}>()

  constructor(
    /** Absolute folder of lock files, shared by every project. */
    readonly root: string,
    readonly project: string,
  ) {}

  private lockDir(lock: string): string {
    return join(this.root, this.project, lock)
  }

  async acquire(request: AcquireRequest): Promise<HeldLock> {
    assertLockName(request.lock)
    if (request.signal?.aborted) throw new LockAbortedError(request.lock)
    const dir = this.lockDir(request.lock)
    try {
      await mkdir(dir, {recursive: true})
    } catch (error) {
      throw new UserError(`cannot create the lock folder ${dir}: ${(error as Error).message}`, {
        hint: 'Set settings.locks.dir to a folder compctl may write, shared by every compctl of this project on this host.',
      })
    }
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
    try {
      await writeFile(temporary, JSON.stringify(record) + '\n')
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
        const record = await readRecord(join(dir, name))
        if (record === null) continue
        if (ownerGone(record, this.host)) await unlinkQuietly(join(dir, name))
        else doorwayBusy = true
      } else if (name.startsWith(TEMPORARY)) {
        const pid = pidOfTemporary(name)
        if (pid !== null && readStartTime(pid) === null) await unlinkQuietly(join(dir, name))
      }
    }
    // The bakery's second read: tickets are read after the doorway was seen empty.
    if (!doorwayBusy) names = await readdir(dir)
    const tickets: Ticket[] = []
    for (const name of names) {
      const match = TICKET.exec(name)
      if (!match) continue
      const record = await readRecord(join(dir, name))
      if (record === null) continue
      if (ownerGone(record, this.host)) {
        await unlinkQuietly(join(dir, name))
        continue
      }
      tickets.push({name, number: Number(match[1]), id: match[2]!, record})
    }
    tickets.sort((a, b) => a.number - b.number || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return {doorwayBusy, tickets}
  }

  private async describe(dir: string, holders: Ticket[]): Promise<LockHolder[]> {
    const described: LockHolder[] = []
    for (const ticket of holders) {
      let since = ticket.record.requested
      try {
        since = (await stat(join(dir, ticket.name))).mtime.toISOString()
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
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false
      throw error
    }
    const name = names.find((n) => TICKET.exec(n)?.[2] === holderId)
    if (!name) return false
    try {
      await unlink(join(dir, name))
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
