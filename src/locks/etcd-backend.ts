import type {Etcd3, IKeyValue, Watcher} from 'etcd3'
import {UserError} from '../errors.js'
import {connectEtcd, etcdUnreachable, startLeaseSession, type LeaseSession} from './etcd-connection.js'
import {assertLockName, holderOf, newRequestId, PendingRequest, requestRecord, splitQueue, type RequestRecord} from './pending.js'
import {LockAbortedError, type AcquireRequest, type HeldLock, type LockBackend, type LockHolder, type LockStatus} from './types.js'

/*
 * A request is a key `<prefix>/<project>/locks/<lock>/<id>` on this backend's lease, created in
 * one transaction with a read of the lock's keys. Keys ordered by create revision are the queue
 * (etcd's own recipe, as `etcdctl lock` uses): a request holds the lock when fewer than `holders`
 * keys are ahead of it. A waiter watches the lock's keys from the revision it read and counts
 * the deletions of the keys ahead of it, so a hand-off costs one delete and one watch event.
 * A holder that dies or is cut off stops renewing the lease, and etcd deletes its keys when the
 * TTL runs out.
 */

/** A holder's grant time is written to its key after it has held the lock this long. */
const GRANT_RECORD_DELAY_MS = 500

interface EtcdRecord extends RequestRecord {
  /** When the request was granted, ISO 8601: written after the grant, for `compctl locks`. */
  granted?: string
}

interface Entry {
  key: string
  createRevision: number
  record: EtcdRecord
}

export interface EtcdLockOptions {
  endpoints: string[]
  prefix: string
  ttlSeconds: number
}

function parseEntry(kv: IKeyValue): Entry | null {
  try {
    return {key: kv.key.toString(), createRevision: Number(kv.create_revision), record: JSON.parse(kv.value.toString()) as EtcdRecord}
  } catch {
    return null
  }
}

function byCreation(a: Entry, b: Entry): number {
  return a.createRevision - b.createRevision
}

function holderOfEntry(entry: Entry): LockHolder {
  return holderOf(entry.record, entry.record.granted ?? entry.record.requested)
}

export class EtcdLockBackend implements LockBackend {
  private session: Promise<LeaseSession> | undefined
  private readonly active = new Set<{abandon(): Promise<void>}>()
  /** Watch cancellations still in flight; `close()` waits for them before closing the client. */
  private readonly cancelling = new Set<Promise<void>>()

  private constructor(
    private readonly client: Etcd3,
    private readonly options: EtcdLockOptions,
    readonly project: string,
  ) {}

  /** Connects and checks that etcd answers: an unreachable etcd is a UserError before anything runs. */
  static async open(options: EtcdLockOptions, project: string): Promise<EtcdLockBackend> {
    const where = {endpoints: options.endpoints, setting: 'settings.locks.etcd.endpoints'}
    const client = await connectEtcd(where, `${options.prefix}/${project}/locks/`)
    return new EtcdLockBackend(client, options, project)
  }

  private projectPrefix(): string {
    return `${this.options.prefix}/${this.project}/locks/`
  }

  private lockPrefix(lock: string): string {
    return `${this.projectPrefix()}${lock}/`
  }

  private unreachable(error: unknown): UserError {
    return etcdUnreachable({endpoints: this.options.endpoints, setting: 'settings.locks.etcd.endpoints'}, error)
  }

  private async currentSession(): Promise<LeaseSession> {
    for (;;) {
      this.session ??= this.startSession().catch((error: unknown) => {
        this.session = undefined
        throw this.unreachable(error)
      })
      const starting = this.session
      const session = await starting
      if (!session.ended) return session
      if (this.session === starting) this.session = undefined
    }
  }

  /** One lease for every request of this backend, kept alive until it is lost or the backend closes. */
  private startSession(): Promise<LeaseSession> {
    return startLeaseSession(this.client, this.options.endpoints, this.options.ttlSeconds)
  }

  async acquire(request: AcquireRequest): Promise<HeldLock> {
    assertLockName(request.lock)
    if (request.signal?.aborted) throw new LockAbortedError(request.lock)
    const session = await this.currentSession()
    const id = newRequestId()
    const record: EtcdRecord = requestRecord(request, id)
    const prefix = this.lockPrefix(request.lock)
    const key = prefix + id
    let entries: Entry[]
    let revision: number
    try {
      const txn = await this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(record)).lease(session.leaseId), this.client.getAll().prefix(prefix))
        .commit()
      if (!txn.succeeded) throw new Error(`the request key ${key} already exists`)
      revision = Number(txn.header.revision)
      entries = (txn.responses[1]?.response_range.kvs ?? []).map(parseEntry).filter((e): e is Entry => e !== null)
    } catch (error) {
      throw this.unreachable(error)
    }
    entries.sort(byCreation)
    const mine = entries.find((e) => e.key === key)
    if (!mine) throw this.unreachable(new Error(`the request key ${key} was not found right after it was written`))
    return this.waitForTurn(request, session, mine, entries.slice(0, entries.indexOf(mine)), revision)
  }

  private waitForTurn(request: AcquireRequest, session: LeaseSession, mine: Entry, aheadList: Entry[], revision: number): Promise<HeldLock> {
    const ahead = new Map(aheadList.map((e) => [e.key, e]))
    const pending = new PendingRequest<HeldLock>(request, () => this.deleteKey(mine.key))
    let holding: {onDeleted(): void; onWatchError(reason: string): void} | undefined
    let stopped = false
    const stopWatching = () => {
      if (stopped) return
      stopped = true
      const cancel = watcherReady.then((w) => w?.cancel()).catch(() => undefined)
      this.cancelling.add(cancel)
      void cancel.finally(() => this.cancelling.delete(cancel))
    }

    const evaluate = () => {
      if (pending.settled) return
      const queue = [...ahead.values(), mine]
      const split = splitQueue(queue)
      if (split.holders.includes(mine)) {
        const held = this.held(request.lock, session, mine, stopWatching)
        holding = held
        if (!pending.grant(held.handle)) void held.handle.release()
        return
      }
      pending.report({holders: split.holders.map(holderOfEntry), position: split.queue.indexOf(mine) + 1})
    }

    const watcherReady: Promise<Watcher | undefined> = this.client
      .watch()
      .prefix(this.lockPrefix(request.lock))
      .startRevision(String(revision + 1))
      .create()
      .then((created) => {
        if (stopped) return created
        created.on('delete', (kv) => {
          const deleted = kv.key.toString()
          if (deleted === mine.key) {
            if (holding) holding.onDeleted()
            else pending.fail(new UserError(`lock "${request.lock}": the waiting request ${mine.record.id} was removed (by \`compctl locks release\`?) before it was granted`))
            return
          }
          if (ahead.delete(deleted)) evaluate()
        })
        created.on('put', (kv) => {
          const entry = parseEntry(kv)
          if (entry && ahead.has(entry.key)) ahead.set(entry.key, {...entry, createRevision: ahead.get(entry.key)!.createRevision})
        })
        created.on('error', (error) => {
          const reason = `the watch on etcd failed: ${error.message}`
          if (holding) holding.onWatchError(reason)
          else void pending.giveUp(this.unreachable(error))
        })
        // A watch that starts behind etcd's current revision only gets its events from etcd's
        // background sync, up to 100ms later: one read shows at once a release that came first.
        if (!pending.settled && ahead.size > 0)
          void this.client
            .getAll()
            .prefix(this.lockPrefix(request.lock))
            .keys()
            .then((keys) => {
              const present = new Set(keys)
              for (const key of [...ahead.keys()]) if (!present.has(key)) ahead.delete(key)
              evaluate()
            })
            .catch(() => undefined)
        return created
      })
      .catch((error: unknown) => {
        if (holding) holding.onWatchError(`could not watch the lock's keys in etcd: ${(error as Error).message}`)
        else void pending.giveUp(this.unreachable(error))
        return undefined
      })

    const waiting = {abandon: () => pending.giveUp(new LockAbortedError(request.lock, 'cancelled: the lock backend was closed'))}
    this.active.add(waiting)
    void session.lost.then((reason) => pending.giveUp(new UserError(`lock "${request.lock}": lost while waiting: ${reason}`)))
    void pending.promise.then(
      () => this.active.delete(waiting),
      () => {
        this.active.delete(waiting)
        stopWatching()
      },
    )
    evaluate()
    return pending.promise
  }

  private held(lock: string, session: LeaseSession, mine: Entry, stopWatching: () => void) {
    let released = false
    let resolveLost!: (reason: string) => void
    const lost = new Promise<string>((resolve) => (resolveLost = resolve))
    const loseWith = (reason: string) => {
      if (released) return
      released = true
      clearTimeout(recordGrant)
      this.active.delete(holding)
      stopWatching()
      resolveLost(reason)
    }
    void session.lost.then(loseWith)
    // The grant time is for people (`compctl locks`): written only once the lock has been held a
    // while, so quick hand-offs cost etcd no extra write, and only while the key is still this
    // request's, so a late write never brings a released key back.
    const grantedAt = new Date().toISOString()
    const recordGrant = setTimeout(() => {
      const granted: EtcdRecord = {...mine.record, granted: grantedAt}
      this.client
        .if(mine.key, 'Create', '==', mine.createRevision)
        .then(this.client.put(mine.key).value(JSON.stringify(granted)).lease(session.leaseId))
        .commit()
        .catch(() => undefined)
    }, GRANT_RECORD_DELAY_MS)
    recordGrant.unref()
    const handle: HeldLock = {
      id: mine.record.id,
      lock,
      lost,
      release: async () => {
        if (released) return
        released = true
        clearTimeout(recordGrant)
        this.active.delete(holding)
        try {
          await this.deleteKey(mine.key)
        } finally {
          stopWatching()
        }
      },
    }
    const holding = {abandon: () => handle.release()}
    this.active.add(holding)
    return {
      handle,
      onDeleted: () => loseWith(`its key ${mine.key} was deleted in etcd (an operator ran \`compctl locks release ${lock} ${mine.record.id}\`?)`),
      onWatchError: (reason: string) => loseWith(reason),
    }
  }

  private async deleteKey(key: string): Promise<void> {
    try {
      await this.client.delete().key(key).exec()
    } catch (error) {
      throw this.unreachable(error)
    }
  }

  async status(): Promise<LockStatus[]> {
    let kvs: IKeyValue[]
    try {
      kvs = (await this.client.getAll().prefix(this.projectPrefix()).exec()).kvs
    } catch (error) {
      throw this.unreachable(error)
    }
    const byLock = new Map<string, Entry[]>()
    for (const kv of kvs) {
      const entry = parseEntry(kv)
      if (!entry) continue
      const [lock, id, ...rest] = entry.key.slice(this.projectPrefix().length).split('/')
      if (!lock || !id || rest.length > 0) continue
      byLock.set(lock, [...(byLock.get(lock) ?? []), entry])
    }
    return [...byLock.keys()].sort().map((lock) => {
      const entries = byLock.get(lock)!.sort(byCreation)
      const {holders, queue} = splitQueue(entries)
      return {
        lock,
        holders: holders.map(holderOfEntry),
        queue: queue.map((e) => holderOf(e.record, e.record.requested)),
        limit: entries[0]!.record.holders,
      }
    })
  }

  async release(lock: string, holderId: string): Promise<boolean> {
    assertLockName(lock)
    if (!/^[A-Za-z0-9]+$/.test(holderId)) return false
    try {
      const result = await this.client.delete().key(this.lockPrefix(lock) + holderId).exec()
      return Number(result.deleted) > 0
    } catch (error) {
      throw this.unreachable(error)
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.active].map((entry) => entry.abandon()))
    await Promise.allSettled([...this.cancelling])
    const session = this.session
    this.session = undefined
    if (session) await (await session.catch(() => undefined))?.close()
    this.client.close()
  }
}
