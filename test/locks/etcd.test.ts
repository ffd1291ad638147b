import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/errors.js'
import {openLockBackend, type LockSettings} from '../../src/locks/index.js'
import {lockBackendConformance} from './conformance.js'
import {describeWithEtcd, startEtcd} from './etcd-server.js'
import {closedAfterEach} from './harness.js'

describeWithEtcd('etcd lock backend', (etcd) => {

  const settings = (ttl = '2s'): LockSettings => ({backend: 'etcd', etcd: {endpoints: [etcd().endpoint], prefix: '/compctl-test', ttl}})

  describe('conformance', () => {
    // A 2s TTL: a holder killed with SIGKILL loses the lock when its lease expires.
    lockBackendConformance({settings: () => settings('2s'), deadHolderLimitMs: 8000})
  })

  describe('etcd specifics', () => {
    const opened = closedAfterEach()
    const project = () => `etcd-${randomBytes(4).toString('hex')}`
    const owner = (p: string) => ({project: p, host: hostname(), pid: process.pid})

    it('keeps one key per request under <prefix>/<project>/locks/<NAME>/, on a lease, in request order', async () => {
      const p = project()
      const backend = await openLockBackend(settings('5s'), p)
      opened.push(backend)
      const first = await backend.acquire({lock: 'restart', holders: 1, owner: owner(p)})
      const queued: string[] = []
      const second = backend.acquire({lock: 'restart', holders: 1, owner: owner(p), onWait: () => queued.push('second')})
      while (queued.length === 0) await new Promise((r) => setTimeout(r, 20))
      const listing = JSON.parse(
        execFileSync('etcdctl', ['--endpoints', etcd().endpoint, 'get', '--prefix', `/compctl-test/${p}/locks/restart/`, '-w', 'json'], {
          encoding: 'utf8',
          env: {...process.env, ETCDCTL_API: '3'},
        }),
      ) as {kvs: Array<{key: string; create_revision: number; lease: number}>}
      const kvs = listing.kvs.sort((a, b) => a.create_revision - b.create_revision)
      expect(kvs).toHaveLength(2)
      expect(Buffer.from(kvs[0]!.key, 'base64').toString()).toBe(`/compctl-test/${p}/locks/restart/${first.id}`)
      expect(kvs.every((kv) => kv.lease !== 0 && kv.lease !== undefined)).toBe(true)
      await first.release()
      const held = await second
      expect(Buffer.from(kvs[1]!.key, 'base64').toString()).toBe(`/compctl-test/${p}/locks/restart/${held.id}`)
      await held.release()
    })

    it('refuses to start when etcd does not answer: a UserError naming the endpoints', async () => {
      const dead = 'http://127.0.0.1:9'
      const started = Date.now()
      const error = await openLockBackend({backend: 'etcd', etcd: {endpoints: [dead]}}, project()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).message).toContain(dead)
      expect((error as UserError).message).toContain('settings.locks.etcd.endpoints')
      expect(Date.now() - started).toBeLessThan(15_000)
    })
  })

  it('tells a holder cut off from etcd that its lock is lost, no later than the TTL after its last renewal', async () => {
    // Its own server: pausing it must not stall the other tests.
    const own = await startEtcd()
    const p = `etcd-${randomBytes(4).toString('hex')}`
    const backend = await openLockBackend({backend: 'etcd', etcd: {endpoints: [own.endpoint], ttl: '2s'}}, p)
    try {
      const held = await backend.acquire({lock: 'restart', holders: 1, owner: {project: p, host: hostname(), pid: process.pid}})
      own.pause()
      const pausedAt = Date.now()
      const reason = await Promise.race([held.lost, new Promise<string>((r) => setTimeout(() => r('not lost within 10s'), 10_000))])
      expect(reason).toContain('TTL')
      expect(reason).toContain(own.endpoint)
      // TTL 2s; the margin is for a busy machine.
      expect(Date.now() - pausedAt).toBeLessThan(4500)
    } finally {
      own.resume()
      await backend.close()
      await own.stop()
    }
  })
})
