import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {afterAll, afterEach, beforeAll, expect, it} from 'vitest'
import type {LoadedConfig} from '../../src/config/load.js'
import type {CompctlState} from '../../src/model/generated/state.js'
import {openStateBackend, type StateBackend} from '../../src/state/open.js'
import type {StateLockInfo} from '../../src/state/lock.js'
import {newState} from '../../src/state/store.js'
import {etcd3ByPath, bundleForChild} from '../helpers/bundle.js'
import {ROOT, trackGroup} from '../helpers/cli.js'
import {textOf, userError, withComponent} from '../helpers/state.js'

/** What the shared suite needs to know about one state backend. */
export interface StateBackendTarget {
  /** A config whose state (and lock) no other test uses. */
  freshConfig(): LoadedConfig
  /** The version the last write replaced, read the backend's own way. */
  readBackup(config: LoadedConfig): Promise<CompctlState | null>
}

/** Made-up pids above the kernel's pid_max: no signal can reach a process through them. */

/** The same properties of every state backend: the file and etcd test files both run it. */
export function stateBackendConformance(target: StateBackendTarget): void {
  const opened: StateBackend[] = []
  const open = async (config: LoadedConfig) => {
    const backend = await openStateBackend(config)
    opened.push(backend)
    return backend
  }
  const children = new Set<number>()
  afterEach(async () => {
    for (const pgid of children) {
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {}
    }
    children.clear()
    await Promise.all(opened.splice(0).map((backend) => backend.close()))
  })

  let childDir: string
  let childScript: string
  beforeAll(async () => {
    childDir = mkdtempSync(join(tmpdir(), 'compctl-state-child-'))
    childScript = join(childDir, 'child.mjs')
    await bundleForChild(childScript, {entry: join(ROOT, 'test/state/fixtures/state-child.ts')}, {plugins: [etcd3ByPath()]})
  })
  afterAll(() => rmSync(childDir, {recursive: true, force: true}))

  function startChild(mode: 'lock' | 'write' | 'key', config: LoadedConfig) {
    const child = spawn(process.execPath, [childScript, mode, JSON.stringify(config)], {detached: true, stdio: ['ignore', 'pipe', 'inherit']})
    children.add(child.pid!)
    trackGroup(child.pid!)
    const firstLine = new Promise<string>((resolve, reject) => {
      createInterface({input: child.stdout!}).once('line', resolve)
      child.once('exit', (code) => reject(new Error(`the ${mode} child exited with ${code} before it was ready`)))
    })
    return {child, firstLine}
  }

  async function kill(child: ReturnType<typeof spawn>): Promise<void> {
    const exited = once(child, 'exit')
    process.kill(-child.pid!, 'SIGKILL')
    await exited
  }

  it('reads null when there is no state yet, then what was written, with the serial incremented by one per write', async () => {
    const backend = await open(target.freshConfig())
    expect(await backend.store.read()).toBeNull()
    const first = await backend.store.write(newState('dns'))
    expect(first.serial).toBe(1)
    const second = await backend.store.write(withComponent(first, 'a', 1))
    expect(second.serial).toBe(2)
    expect(await backend.store.read()).toEqual(second)
  })

  it('keeps the lineage, and a second opening of the same place reads the same state', async () => {
    const config = target.freshConfig()
    const one = await open(config)
    const written = await one.store.write(newState('dns'))
    const again = await open(config)
    const read = await again.store.read()
    expect(read!.lineage).toBe(written.lineage)
    const next = await again.store.write(withComponent(read!, 'b', 2))
    expect(next.lineage).toBe(written.lineage)
    expect(next.serial).toBe(written.serial + 1)
  })

  it('takes a plain write of a state read from elsewhere (state push): same lineage, serial + 1', async () => {
    const source = await open(target.freshConfig())
    const state = await source.store.write(withComponent(await source.store.write(newState('dns')), 'a', 1))
    const destinationConfig = target.freshConfig()
    const pushed = await (await open(destinationConfig)).store.write(state)
    expect(pushed).toEqual({...state, serial: state.serial + 1})
    expect(await (await open(destinationConfig)).store.read()).toEqual(pushed)
  })

  it('keeps the version each write replaced as the backup', async () => {
    const config = target.freshConfig()
    const backend = await open(config)
    const first = await backend.store.write(newState('dns'))
    expect(await target.readBackup(config)).toBeNull()
    const second = await backend.store.write(withComponent(first, 'a', 1))
    expect(await target.readBackup(config)).toEqual(first)
    await backend.store.write(withComponent(second, 'b', 2))
    expect(await target.readBackup(config)).toEqual(second)
  })

  it('a writer killed at random moments leaves the last good state: whole, valid, serials never going back', async () => {
    const config = target.freshConfig()
    const serials: number[] = []
    for (let round = 0; round < 6; round++) {
      const {child, firstLine} = startChild('write', config)
      expect(await firstLine).toBe('ready')
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250))
      await kill(child)
      const state = await (await open(config)).store.read()
      expect(state).not.toBeNull()
      expect(Object.keys(state!.components)).toHaveLength(2000)
      serials.push(state!.serial)
    }
    expect(serials).toEqual([...serials].sort((a, b) => a - b))
    expect(serials.at(-1)!).toBeGreaterThan(6)
  })

  it('the lock excludes a second holder, naming the first (id, operation, pid), until it is released', async () => {
    const config = target.freshConfig()
    const first = await open(config)
    const held = await first.acquireLock({operation: 'apply', timeoutMs: 0})
    expect(await first.readLock()).toEqual(held.info)
    const second = await open(config)
    const error = await userError(second.acquireLock({operation: 'destroy', timeoutMs: 0}))
    expect(textOf(error)).toContain(held.info.id)
    expect(textOf(error)).toContain(`apply by ${held.info.who}, pid ${process.pid}`)
    const waited = Date.now()
    const timedOut = await userError(second.acquireLock({operation: 'destroy', timeoutMs: 600}))
    expect(Date.now() - waited).toBeGreaterThanOrEqual(550)
    expect(textOf(timedOut)).toContain('still locked after')
    await held.release()
    expect(await first.readLock()).toBeNull()
    const next = await second.acquireLock({operation: 'destroy', timeoutMs: 0})
    expect((await first.readLock())?.id).toBe(next.info.id)
    await next.release()
  })

  it('a lock whose holder was killed (kill -9) is taken over by the next acquirer, which says so', async () => {
    const config = target.freshConfig()
    const {child, firstLine} = startChild('lock', config)
    const stale = JSON.parse(await firstLine) as StateLockInfo
    const backend = await open(config)
    expect((await backend.readLock())?.id).toBe(stale.id)
    await kill(child)
    const notes: string[] = []
    const held = await backend.acquireLock({operation: 'apply', timeoutMs: 0, onNote: (note) => notes.push(note)})
    expect(held.info.id).not.toBe(stale.id)
    expect(notes.join('\n')).toContain(`Took over the state lock ${backend.lockLocation}`)
    expect(notes.join('\n')).toContain(stale.id)
    await held.release()
  })

  it('force-unlock removes the lock with its id only', async () => {
    const config = target.freshConfig()
    const {firstLine} = startChild('lock', config)
    const foreign = JSON.parse(await firstLine) as StateLockInfo
    const backend = await open(config)
    const wrong = await userError(backend.forceUnlock('not-the-id'))
    expect(textOf(wrong)).toContain(`compctl force-unlock ${foreign.id}`)
    expect((await backend.readLock())?.id).toBe(foreign.id)
    expect((await backend.forceUnlock(foreign.id)).id).toBe(foreign.id)
    expect(await backend.readLock()).toBeNull()
    await userError(backend.forceUnlock(foreign.id))
  })

  it('lists its instance with its state and lock holder', async () => {
    const config = target.freshConfig()
    const backend = await open(config)
    const state = await backend.store.write(newState('dns'))
    const held = await backend.acquireLock({operation: 'apply', timeoutMs: 0})
    const instances = await backend.listInstances()
    expect(instances).toContainEqual({instance: backend.instance, state, lock: held.info})
    await held.release()
  })

  it('makes one secret key on first use, even for two processes making it at once, and gives it to every later opening', async () => {
    const config = target.freshConfig()
    const racers = [startChild('key', config), startChild('key', config)]
    expect(await Promise.all(racers.map((racer) => racer.firstLine))).toEqual(['ready', 'ready'])
    const printed = racers.map(({child}) => {
      let text = ''
      child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
      return once(child, 'exit').then(([code]) => ({code, text}))
    })
    // Both at once: each finds no key and tries to make one.
    for (const {child} of racers) child.kill('SIGUSR1')
    const results = await Promise.all(printed)
    expect(results.map((r) => r.code)).toEqual([0, 0])
    const keys = results.map((r) => r.text.trim())
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/)
    expect(keys[1]).toBe(keys[0])
    // Openings in one process racing too; and every later one reads the same key.
    const openings = await Promise.all([1, 2, 3, 4].map(() => open(config)))
    const again = await Promise.all(openings.map((backend) => backend.secretKey()))
    expect(again.map((key) => key.toString('hex'))).toEqual([keys[0], keys[0], keys[0], keys[0]])
    // Another state has its own key.
    expect((await (await open(target.freshConfig())).secretKey()).toString('hex')).not.toBe(keys[0])
  })

  it('makes one key when several openings in one process make it at once', async () => {
    const config = target.freshConfig()
    const openings = await Promise.all([1, 2, 3, 4, 5, 6].map(() => open(config)))
    const keys = await Promise.all(openings.map((backend) => backend.secretKey()))
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(1)
    expect((await (await open(config)).secretKey()).equals(keys[0]!)).toBe(true)
  })
}
