import type {Etcd3, Lease} from 'etcd3'
import {UserError} from '../errors.js'

/*
 * The etcd3 client with its call deadline and a lease kept alive until it is lost (the lock
 * backend's), and the one-line error for an etcd that does not answer (the lock backend's and the
 * state backend's, which talks to etcd over HTTP: src/state/etcd-http.ts).
 */

/** Unary calls give up after this long, so an etcd that stops answering is an error, not a hang. */
const CALL_TIMEOUT_MS = 5000

/** Where the endpoints came from, for messages: `settings.locks.etcd.endpoints`, an environment variable, … */
export interface EtcdEndpoints {
  endpoints: string[]
  setting: string
}

/** A lease kept alive in the background. */
export interface LeaseSession {
  leaseId: string
  /** Resolves with the reason once the lease is gone or can no longer be trusted. */
  lost: Promise<string>
  readonly ended: boolean
  /** Revokes the lease: etcd deletes every key on it. */
  close(): Promise<void>
}

/** The error for an etcd that does not answer: one line naming the endpoints and the setting. */
export function etcdUnreachable(where: EtcdEndpoints, error: unknown): UserError {
  // grpc-js ends some messages with an empty "Resolution note:".
  const message = ((error as Error).message?.split('\n')[0] ?? String(error)).replace(/\s*Resolution note:\s*$/, '')
  return new UserError(`cannot use etcd at ${where.endpoints.join(', ')} (${where.setting}): ${message}`, {
    hint: `Start etcd there, or point ${where.setting} at a running etcd (or use backend: file on a single host).`,
  })
}

/** Connects and checks that etcd answers with a read of `probeKey`: an unreachable etcd is a UserError before anything runs. */
export async function connectEtcd(where: EtcdEndpoints, probeKey: string): Promise<Etcd3> {
  const {Etcd3} = await import('etcd3')
  const client = new Etcd3({
    hosts: where.endpoints,
    defaultCallOptions: (context) => (context.isStream ? {} : {deadline: Date.now() + CALL_TIMEOUT_MS}),
  })
  try {
    await client.get(probeKey).exec()
  } catch (error) {
    client.close()
    throw etcdUnreachable(where, error)
  }
  return client
}

/** Grants a lease of `ttlSeconds` and keeps it alive until it is lost or closed. */
export async function startLeaseSession(client: Etcd3, endpoints: string[], ttlSeconds: number): Promise<LeaseSession> {
  const lease: Lease = client.lease(ttlSeconds)
  let resolveLost!: (reason: string) => void
  const lost = new Promise<string>((resolve) => (resolveLost = resolve))
  let ended = false
  let lastRenewed = Date.now()
  const end = (reason: string) => {
    if (ended) return
    ended = true
    clearInterval(monitor)
    lease.release()
    // Best effort: once etcd answers again, its keys go at once instead of after the TTL.
    lease.revoke().catch(() => undefined)
    resolveLost(reason)
  }
  lease.on('lost', (error) => end(`etcd ended the lease: ${error.message}`))
  lease.on('keepaliveSucceeded', () => (lastRenewed = Date.now()))
  // etcd3 itself gives up after two TTLs, when etcd may long have handed the lock on: say it is
  // lost once a TTL since the last renewal could be over by the next look.
  const tickMs = Math.min(1000, (ttlSeconds * 1000) / 4)
  const monitor = setInterval(() => {
    if (Date.now() - lastRenewed > ttlSeconds * 1000 - tickMs)
      end(`no answer from etcd at ${endpoints.join(', ')} within the lease's TTL (${ttlSeconds}s): the lease has expired or is about to, and another holder may have the lock`)
  }, tickMs)
  monitor.unref()
  let leaseId: string
  try {
    leaseId = await lease.grant()
  } catch (error) {
    ended = true
    clearInterval(monitor)
    lease.release()
    throw error
  }
  lastRenewed = Date.now()
  return {
    leaseId,
    lost,
    get ended() {
      return ended
    },
    close: async () => {
      if (ended) return
      ended = true
      clearInterval(monitor)
      await lease.revoke().catch(() => undefined)
    },
  }
}
