import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import type {LoadedConfig} from '../../src/config/load.js'
import {UserError} from '../../src/errors.js'
import {openStateBackend} from '../../src/state/open.js'
import {newState, parseState} from '../../src/state/store.js'
import {describeWithEtcd} from '../locks/etcd-server.js'
import {stateBackendConformance} from './backend-conformance.js'

const root = mkdtempSync(join(tmpdir(), 'compctl-etcd-backend-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const PREFIX = '/compctl-state-test'

describeWithEtcd('etcd state backend', (etcd) => {
  const configFor = (project: string, instance = 'ci'): LoadedConfig => {
    const baseDir = mkdtempSync(join(root, 'project-'))
    return {
      file: join(baseDir, 'compctl.yaml'),
      baseDir,
      project,
      stateDir: join(baseDir, 'state'),
      spec: {version: 1, settings: {instance, state: {backend: 'etcd', etcd: {endpoints: [etcd().endpoint], prefix: PREFIX, ttl: '2s'}}}},
      warnings: [],
    }
  }
  const project = () => `p-${randomBytes(4).toString('hex')}`
  const etcdctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', etcd().endpoint, ...args], {encoding: 'utf8', env: {...process.env, ETCDCTL_API: '3'}})

  describe('conformance', () => {
    stateBackendConformance({
      freshConfig: () => configFor(project()),
      async readBackup(config) {
        const text = etcdctl('get', '--print-value-only', `${PREFIX}/${config.project}/state-backup/${config.spec.settings!.instance!}`)
        if (text === '') return null
        const parsed = parseState(text)
        if (typeof parsed === 'string') throw new Error(parsed)
        return parsed
      },
    })
  })

  describe('etcd specifics', () => {
    it('keeps the state at <prefix>/<project>/state/<instance>, the text the file backend writes', async () => {
      const config = configFor(project(), 'web-1')
      const backend = await openStateBackend(config)
      try {
        const written = await backend.store.write(newState(config.project))
        expect(JSON.parse(etcdctl('get', '--print-value-only', `${PREFIX}/${config.project}/state/web-1`))).toEqual(written)
        expect(backend.location).toBe(`${etcd().endpoint}${PREFIX}/${config.project}/state/web-1`)
      } finally {
        await backend.close()
      }
    })

    it('a write that lost a race is an error and never a lost update (compare-and-swap on the mod revision)', async () => {
      const config = configFor(project())
      const one = await openStateBackend(config)
      const two = await openStateBackend(config)
      try {
        const base = await one.store.write(newState(config.project))
        const readByTwo = (await two.store.read())!
        const winner = await one.store.write({...base, components: {}, appliedPlans: ['one']})
        const error = await two.store.write({...readByTwo, appliedPlans: ['two']}).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(UserError)
        expect((error as UserError).message).toContain(`another writer changed it since it was read (now serial ${winner.serial})`)
        expect((await one.store.read())!.appliedPlans).toEqual(['one'])
      } finally {
        await Promise.all([one.close(), two.close()])
      }
    })

    it('a holder that loses the lock (force-unlocked) can no longer write the state', async () => {
      const config = configFor(project())
      const holder = await openStateBackend(config)
      const operator = await openStateBackend(config)
      try {
        const held = await holder.acquireLock({operation: 'apply', timeoutMs: 0})
        const state = await holder.store.write(newState(config.project))
        await operator.forceUnlock(held.info.id)
        const error = await holder.store.write(state).catch((e: unknown) => e)
        expect((error as UserError).message).toContain('this process no longer holds the state lock')
        expect((await operator.store.read())!.serial).toBe(state.serial)
      } finally {
        await Promise.all([holder.close(), operator.close()])
      }
    })

    it('the lock is on a lease: a holder that stops renewing it loses the key within the TTL, with no takeover', async () => {
      const config = configFor(project())
      const holder = await openStateBackend(config)
      const watcher = await openStateBackend(config)
      try {
        await holder.acquireLock({operation: 'apply', timeoutMs: 0})
        const lockKey = `${PREFIX}/${config.project}/state-lock/ci`
        // Lease ids are 64-bit: read as text, not through JSON numbers.
        const lease = /"Lease" : (\d+)/.exec(etcdctl('get', lockKey, '-w', 'fields'))?.[1]
        expect(lease).toBeDefined()
        expect(lease).not.toBe('0')
        // Revoking the lease stands for a holder whose keep-alives stopped: etcd deletes the key itself.
        etcdctl('lease', 'revoke', BigInt(lease!).toString(16))
        expect(await watcher.readLock()).toBeNull()
      } finally {
        await Promise.all([holder.close(), watcher.close()])
      }
    })

    it('keeps the secret key at <prefix>/<project>/key/<instance>, put once, never in a local file; a key that is not one is an error naming it', async () => {
      const config = configFor(project(), 'web-1')
      const key = `${PREFIX}/${config.project}/key/web-1`
      const backend = await openStateBackend(config)
      try {
        const made = await backend.secretKey()
        expect(etcdctl('get', '--print-value-only', key).trim()).toBe(made.toString('hex'))
        expect((await backend.secretKey()).equals(made)).toBe(true)
        const [stored] = (JSON.parse(etcdctl('get', key, '-w', 'json')) as {kvs: Array<{version: number}>}).kvs
        expect(stored!.version).toBe(1)
        expect(existsSync(config.stateDir)).toBe(false)
        etcdctl('put', key, 'not a key')
        const error = await backend.secretKey().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(UserError)
        expect((error as UserError).lines).toEqual([`${etcd().endpoint}${key}: not a compctl state key`])
        expect((error as UserError).hint).toContain(`etcdctl del ${key}`)
      } finally {
        await backend.close()
      }
    })

    it('when etcd does not answer, reading the state, taking its lock and reading its key are one UserError naming the endpoints', async () => {
      const config = configFor(project())
      config.spec.settings!.state!.etcd!.endpoints = ['http://127.0.0.1:9']
      const backend = await openStateBackend(config)
      try {
        for (const call of [() => backend.store.read(), () => backend.acquireLock({operation: 'apply', timeoutMs: 0}), () => backend.listInstances(), () => backend.secretKey()]) {
          const error = await call().catch((e: unknown) => e)
          expect(error).toBeInstanceOf(UserError)
          expect((error as UserError).lines).toHaveLength(1)
          expect((error as UserError).lines[0]).toMatch(/^cannot use etcd at http:\/\/127\.0\.0\.1:9 \(settings\.state\.etcd\.endpoints\): \S/)
        }
      } finally {
        await backend.close()
      }
    })
  })
})
