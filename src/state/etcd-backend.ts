import type {LoadedConfig} from '../config/load.js'
import {UserError} from '../errors.js'
import {etcdUnreachable, type EtcdEndpoints} from '../locks/etcd-connection.js'
import type {CompctlState} from '../model/generated/state.js'
import {durationMs, formatMs} from '../util/duration.js'
import {describeHolder, heldError, holderState, ownInfo, parseLockInfo, pause, RECHECK_MS, type AcquireOptions, type HeldStateLock, type StateLockInfo} from './lock.js'
import type {InstanceState, StateBackend} from './open.js'
import {newSecretKeyText, parseSecretKey} from './secret-key.js'
import {parseState, stateText, type StateStore} from './store.js'
import {EtcdHttpClient, type Compare, type Operation} from './etcd-http.js'
import {byCodeUnits} from '../util/order.js'

/*
 * Keys of one instance, under `<prefix>/<project>/`:
 *   state/<instance>        the state, as the file backend writes it
 *   state-backup/<instance> the version it replaced, written in the same transaction
 *   state-lock/<instance>   the state lock, on a lease kept alive while held
 *   key/<instance>          the state's secret key (./secret-key.ts), put once and never changed
 * Every write is a transaction that compares the state key's mod revision with the one this
 * process last saw (and, while the lock is held, that the lock key is still ours): a writer that
 * lost a race or its lock gets an error, and no update is ever lost. It talks to etcd through its
 * JSON gateway (./etcd-http.ts), so `plan` and `status` never load the gRPC client.
 */

const DEFAULT_ENDPOINTS = ['http://127.0.0.1:2379']
const DEFAULT_PREFIX = '/compctl'
const DEFAULT_TTL_MS = 15_000

interface EtcdStateOptions extends EtcdEndpoints {
  prefix: string
  project: string
  instance: string
  ttlSeconds: number
}

/** Comma-separated endpoints that replace the file's: a CI pipeline takes them from its environment. */
export const ENDPOINTS_ENV = 'COMPCTL_STATE_ETCD_ENDPOINTS'

/** `settings.state.etcd`, each setting defaulting to `settings.locks.etcd`'s; the endpoints from the environment first. */
function etcdStateOptions(config: LoadedConfig, instance: string): EtcdStateOptions {
  const state = config.spec.settings?.state?.etcd ?? {}
  const locks = config.spec.settings?.locks?.etcd ?? {}
  const fromEnv = (process.env[ENDPOINTS_ENV] ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')
  const [endpoints, setting] =
    fromEnv.length > 0
      ? [fromEnv, ENDPOINTS_ENV]
      : state.endpoints === undefined && locks.endpoints !== undefined
        ? [locks.endpoints, 'settings.locks.etcd.endpoints']
        : [state.endpoints ?? DEFAULT_ENDPOINTS, 'settings.state.etcd.endpoints']
  return {
    endpoints,
    setting,
    prefix: (state.prefix ?? locks.prefix ?? DEFAULT_PREFIX).replace(/\/+$/, ''),
    project: config.project,
    instance,
    ttlSeconds: Math.max(1, Math.ceil(durationMs(state.ttl ?? locks.ttl, DEFAULT_TTL_MS) / 1000)),
  }
}

/**
 * The backend; it connects on its first call. Every call of it that finds etcd unreachable is a
 * one-line UserError naming the endpoints, and every command's first call is a read or the state
 * lock: nothing has started by then.
 */
export async function openEtcdStateBackend(config: LoadedConfig, instance: string): Promise<StateBackend> {
  const options = etcdStateOptions(config, instance)
  return new EtcdStateBackend(new EtcdHttpClient(options.endpoints), options)
}

/** A lease renewed every third of its TTL until closed; revoking it deletes the keys on it. */
class Lease {
  private readonly renewal: NodeJS.Timeout

  private constructor(
    private readonly client: EtcdHttpClient,
    readonly id: string,
    ttlSeconds: number,
  ) {
    // A renewal that fails is not fatal here: every state write checks the lock key is still ours.
    this.renewal = setInterval(() => void client.leaseKeepAlive(id).catch(() => false), (ttlSeconds * 1000) / 3)
    this.renewal.unref()
  }

  static async grant(client: EtcdHttpClient, ttlSeconds: number): Promise<Lease> {
    return new Lease(client, await client.leaseGrant(ttlSeconds), ttlSeconds)
  }

  async close(): Promise<void> {
    clearInterval(this.renewal)
    // An etcd that is gone lets the lease expire instead.
    await this.client.leaseRevoke(this.id).catch(() => undefined)
  }
}

/** What this process last read or wrote at the state key: the base of its next compare-and-swap. */
interface Seen {
  modRevision: string
  text: string
}

export class EtcdStateStore implements StateStore {
  readonly location: string
  readonly key: string
  readonly backupKey: string
  /** While the state lock is held: its key and value, which every write checks are still there. */
  guard: {key: string; value: string} | null = null
  private seen: Seen | null = null
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly client: EtcdHttpClient,
    private readonly options: EtcdStateOptions,
  ) {
    const root = `${options.prefix}/${options.project}`
    this.key = `${root}/state/${options.instance}`
    this.backupKey = `${root}/state-backup/${options.instance}`
    this.location = `${options.endpoints[0]}${this.key}`
  }

  async read(): Promise<CompctlState | null> {
    const seen = await this.fetch()
    if (seen.modRevision === '0') return null
    const parsed = parseState(seen.text)
    if (typeof parsed === 'string') throw this.corrupt(parsed)
    return parsed
  }

  write(state: CompctlState): Promise<CompctlState> {
    const written = this.queue.then(() => this.writeNow(state))
    this.queue = written.catch(() => undefined)
    return written
  }

  private async writeNow(state: CompctlState): Promise<CompctlState> {
    // A write with no read before it (`state push`) replaces what is there now.
    const base = this.seen ?? (await this.fetch())
    const next: CompctlState = {...state, serial: state.serial + 1}
    const text = stateText(next)
    const compare: Compare[] = [{key: this.key, target: 'MOD', modRevision: base.modRevision}]
    if (this.guard) compare.push({key: this.guard.key, target: 'VALUE', value: this.guard.value})
    const puts: Operation[] = [{put: {key: this.key, value: text}}]
    if (base.modRevision !== '0') puts.push({put: {key: this.backupKey, value: base.text}})
    let result
    try {
      result = await this.client.txn(compare, puts)
    } catch (error) {
      throw new UserError(`${this.location}: cannot write the state: ${etcdUnreachable(this.options, error).lines[0]}`, {
        hint: 'The state in etcd is as the last recorded step left it; run apply again once etcd answers.',
      })
    }
    if (!result.succeeded) throw await this.lostRace()
    this.seen = {modRevision: result.revision, text}
    return next
  }

  /** Why a compare-and-swap failed: the lock is no longer ours, or another writer came first. */
  private async lostRace(): Promise<UserError> {
    const guard = this.guard
    if (guard && (await this.client.get(guard.key).catch(() => null))?.value !== guard.value)
      return new UserError(`${this.location}: the state was not written: this process no longer holds the state lock (its lease expired or it was force-unlocked).`, {
        hint: 'Nothing was overwritten. Run apply again.',
      })
    const current = await this.fetch().catch(() => null)
    const parsed = current ? parseState(current.text) : null
    const serial = parsed && typeof parsed !== 'string' ? ` (now serial ${parsed.serial})` : ''
    return new UserError(`${this.location}: the state was not written: another writer changed it since it was read${serial}.`, {
      hint: 'Nothing was overwritten. Read it again and retry.',
    })
  }

  private async fetch(): Promise<Seen> {
    let kv
    try {
      kv = await this.client.get(this.key)
    } catch (error) {
      throw etcdUnreachable(this.options, error)
    }
    this.seen = kv ? {modRevision: kv.modRevision, text: kv.value} : {modRevision: '0', text: ''}
    return this.seen
  }

  private corrupt(why: string): UserError {
    return new UserError(`${this.location}: the state is corrupt: ${why}`, {
      hint: `The previous version is kept at the key ${this.backupKey}: check it (etcdctl get ${this.backupKey}), then put it at ${this.key} to recover.`,
    })
  }
}

class EtcdStateBackend implements StateBackend {
  readonly store: EtcdStateStore
  readonly location: string
  readonly lockLocation: string
  readonly instance: string
  private readonly lockKey: string
  private readonly secretKeyKey: string
  private readonly root: string
  private readonly leases = new Set<Lease>()

  constructor(
    private readonly client: EtcdHttpClient,
    private readonly options: EtcdStateOptions,
  ) {
    this.store = new EtcdStateStore(client, options)
    this.location = this.store.location
    this.instance = options.instance
    this.root = `${options.prefix}/${options.project}`
    this.lockKey = `${this.root}/state-lock/${options.instance}`
    this.secretKeyKey = `${this.root}/key/${options.instance}`
    this.lockLocation = `${options.endpoints[0]}${this.lockKey}`
  }

  async acquireLock(options: AcquireOptions): Promise<HeldStateLock> {
    const info = ownInfo(options.operation, options.version)
    const text = JSON.stringify(info)
    const deadline = Date.now() + Math.max(0, options.timeoutMs)
    const lease = await this.call(() => Lease.grant(this.client, this.options.ttlSeconds))
    this.leases.add(lease)
    let announced = false
    try {
      for (;;) {
        options.signal?.throwIfAborted()
        const result = await this.call(() =>
          this.client.txn([{key: this.lockKey, target: 'CREATE', createRevision: '0'}], [{put: {key: this.lockKey, value: text, lease: lease.id}}], [{range: {key: this.lockKey}}]),
        )
        if (result.succeeded) return this.held(info, text, lease)
        const kv = result.ranges[0]?.[0]
        if (!kv) continue
        const currentText = kv.value
        const current = parseLockInfo(currentText)
        if (current === null)
          throw new UserError(`${this.lockLocation}: the state lock is unreadable (not a lock written by compctl).`, {
            hint: `If no compctl is running on this state, delete it: etcdctl del ${this.lockKey}`,
          })
        const holder = holderState(current)
        if (holder === 'gone' || holder === 'reused') {
          // Its holder died on this host: no need to wait for its lease to run out.
          const removed = await this.call(() => this.client.txn([{key: this.lockKey, target: 'VALUE', value: currentText}], [{delete: {key: this.lockKey}}]))
          if (removed.succeeded)
            options.onNote?.(`Took over the state lock ${this.lockLocation} from ${describeHolder(current)}: ${holder === 'gone' ? 'that process is gone' : `pid ${current.pid} now belongs to another process`}.`)
          continue
        }
        const left = deadline - Date.now()
        if (left <= 0) throw heldError(this.lockLocation, current, holder, options.timeoutMs)
        if (!announced) {
          announced = true
          options.onNote?.(`Waiting up to ${formatMs(left)} for the state lock ${this.lockLocation}, held by ${describeHolder(current)}.`)
        }
        await pause(Math.min(RECHECK_MS, left), options.signal)
      }
    } catch (error) {
      this.leases.delete(lease)
      await lease.close()
      throw error
    }
  }

  private held(info: StateLockInfo, text: string, lease: Lease): HeldStateLock {
    this.store.guard = {key: this.lockKey, value: text}
    let released = false
    return {
      info,
      release: async () => {
        if (released) return
        released = true
        if (this.store.guard?.value === text) this.store.guard = null
        this.leases.delete(lease)
        // Revoking the lease deletes the lock key.
        await lease.close()
      },
    }
  }

  async readLock(): Promise<StateLockInfo | null> {
    const kv = await this.call(() => this.client.get(this.lockKey))
    return kv === null ? null : parseLockInfo(kv.value)
  }

  async forceUnlock(id: string): Promise<StateLockInfo> {
    const text = (await this.call(() => this.client.get(this.lockKey)))?.value ?? null
    if (text === null) throw new UserError(`${this.lockLocation}: the state is not locked: there is no lock to remove.`)
    const current = parseLockInfo(text)
    if (current === null || current.id !== id)
      throw new UserError(`${this.lockLocation}: the state lock's id is ${current?.id ?? '(unreadable)'}, not ${id}${current ? ` (held by ${describeHolder(current)})` : ''}.`, {
        hint: current ? `Nothing was removed. If you are sure that holder is gone, run: compctl force-unlock ${current.id}` : `Nothing was removed. Delete it with: etcdctl del ${this.lockKey}`,
      })
    const removed = await this.call(() => this.client.txn([{key: this.lockKey, target: 'VALUE', value: text}], [{delete: {key: this.lockKey}}]))
    if (!removed.succeeded) throw new UserError(`${this.lockLocation}: the state lock changed while it was being removed; nothing was removed. Look again with: compctl status`)
    return current
  }

  async listInstances(): Promise<InstanceState[]> {
    const [states, lockKvs] = await this.call(() => Promise.all([this.client.getPrefix(`${this.root}/state/`), this.client.getPrefix(`${this.root}/state-lock/`)]))
    const locks = Object.fromEntries(lockKvs.map((kv) => [kv.key, kv.value]))
    const instances: InstanceState[] = []
    for (const {key, value: text} of states.sort((a, b) => byCodeUnits(a.key, b.key))) {
      const instance = key.slice(`${this.root}/state/`.length)
      const parsed = parseState(text)
      if (typeof parsed === 'string') throw new UserError(`${this.options.endpoints[0]}${key}: the state of instance ${instance} is corrupt: ${parsed}`)
      const lockText = locks[`${this.root}/state-lock/${instance}`]
      instances.push({instance, state: parsed, lock: lockText === undefined ? null : parseLockInfo(lockText)})
    }
    return instances
  }

  async secretKey(): Promise<Buffer> {
    const key = this.secretKeyKey
    const read = (text: string) => parseSecretKey(text, `${this.options.endpoints[0]}${key}`, `Delete it (etcdctl del ${key})`)
    const stored = await this.call(() => this.client.get(key))
    if (stored) return read(stored.value)
    // Put only while there is none: of two processes making it at once, the second reads the first's.
    const result = await this.call(() =>
      this.client.txn([{key, target: 'CREATE', createRevision: '0'}], [{put: {key, value: newSecretKeyText()}}, {range: {key}}], [{range: {key}}]),
    )
    return read(result.ranges[0]?.[0]?.value ?? '')
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.leases].map((lease) => lease.close()))
    this.leases.clear()
    this.client.close()
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof UserError || (error as Error).name === 'AbortError') throw error
      throw etcdUnreachable(this.options, error)
    }
  }
}
