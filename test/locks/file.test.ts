import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readStartTime} from '../../src/process/observe.js'
import {FileLockBackend} from '../../src/locks/file-backend.js'
import {defaultLockDir, LockTimeoutError, openLockBackend} from '../../src/locks/index.js'
import {trackGroup} from '../helpers/cli.js'
import {lockBackendConformance} from './conformance.js'
import {closedAfterEach, HolderProcess, useHolderScript} from './harness.js'

/** CPU time (user + system) a process has used, in ms, from /proc. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

describe('file lock backend', () => {
  let root: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'compctl-locks-test-'))
  })
  afterAll(() => rmSync(root, {recursive: true, force: true}))

  describe('conformance', () => {
    lockBackendConformance({settings: () => ({backend: 'file', dir: root}), deadHolderLimitMs: 5000})
  })

  describe('file specifics', () => {
    const opened = closedAfterEach()
    const holderScript = useHolderScript()
    const project = () => `file-${randomBytes(4).toString('hex')}`
    const owner = (p: string) => ({project: p, host: hostname(), pid: process.pid})

    it('requests racing through the doorway never report each other\'s entries as foreign (one removed while read is gone, not ignored)', async () => {
      const p = project()
      const reports: string[] = []
      const backends = Array.from({length: 4}, () => new FileLockBackend(root, p, {report: (message) => reports.push(message)}))
      opened.push(...backends)
      // Four backends take and give back a two-holder lock 40 times each, all at once: every
      // doorway entry is written, read by the others and removed again and again.
      await Promise.all(
        backends.map(async (backend) => {
          for (let round = 0; round < 40; round++) await (await backend.acquire({lock: 'restart', holders: 2, owner: owner(p)})).release()
        }),
      )
      expect(reports).toEqual([])
      expect(readdirSync(join(root, p, 'restart'))).toEqual([])
    }, 60_000)

    it('a ticket with a second name (a hard link) is reported and ignored, never read nor deleted', async () => {
      const p = project()
      const reports: string[] = []
      const backend = new FileLockBackend(root, p, {report: (message) => reports.push(message)})
      opened.push(backend)
      mkdirSync(join(root, p, 'restart'), {recursive: true})
      const elsewhere = join(root, `${p}-elsewhere.json`)
      writeFileSync(elsewhere, JSON.stringify({host: hostname(), pid: process.pid, id: 'planted', holders: 1, requested: new Date().toISOString()}) + '\n')
      const planted = join(root, p, 'restart', '0000000000000001.deadbeef.json')
      linkSync(elsewhere, planted)
      const held = await backend.acquire({lock: 'restart', holders: 1, owner: owner(p)})
      expect(reports).toEqual([`${planted}: ignored: it has other names (hard links); compctl neither follows, reads further nor deletes it. Remove it if no compctl wrote it.`])
      await held.release()
      expect(existsSync(planted)).toBe(true)
      rmSync(planted)
      rmSync(elsewhere)
    })

    it('keeps one ticket file per request under <dir>/<project>/<lock>/, and none after release', async () => {
      const p = project()
      const backend = await openLockBackend({dir: root}, p)
      opened.push(backend)
      const held = await backend.acquire({lock: 'restart', holders: 1, owner: owner(p)})
      const files = readdirSync(join(root, p, 'restart'))
      expect(files).toEqual([expect.stringMatching(new RegExp(`^\\d+\\.${held.id}\\.json$`))])
      expect(JSON.parse(readFileSync(join(root, p, 'restart', files[0]!), 'utf8'))).toMatchObject({id: held.id, pid: process.pid, holders: 1})
      await held.release()
      expect(readdirSync(join(root, p, 'restart'))).toEqual([])
    })

    it('shares locks between desired files in different folders with the same project (default folder)', async () => {
      const p = project()
      const folderA = mkdtempSync(join(tmpdir(), 'compctl-a-'))
      const folderB = mkdtempSync(join(tmpdir(), 'compctl-b-'))
      try {
        const a = await openLockBackend(undefined, p, {baseDir: folderA})
        const b = await openLockBackend({backend: 'file'}, p, {baseDir: folderB})
        opened.push(a, b)
        const held = await a.acquire({lock: 'restart', holders: 1, owner: owner(p)})
        expect(readdirSync(join(defaultLockDir(), p))).toEqual(['restart'])
        const blocked = await b.acquire({lock: 'restart', holders: 1, owner: owner(p), timeoutMs: 300}).catch((e: unknown) => e)
        expect(blocked).toBeInstanceOf(LockTimeoutError)
        await held.release()
      } finally {
        rmSync(join(defaultLockDir(), p), {recursive: true, force: true})
        rmSync(folderA, {recursive: true, force: true})
        rmSync(folderB, {recursive: true, force: true})
      }
    })

    it('resolves a relative settings.locks.dir against the desired file folder', async () => {
      const p = project()
      const base = join(root, `base-${p}`, 'project')
      mkdirSync(base, {recursive: true})
      const backend = await openLockBackend({dir: '../shared-locks'}, p, {baseDir: base})
      opened.push(backend)
      const held = await backend.acquire({lock: 'restart', holders: 1, owner: owner(p)})
      expect(readdirSync(join(root, `base-${p}`, 'shared-locks', p))).toEqual(['restart'])
      await held.release()
    })

    it('frees a lock whose holder pid now belongs to another process (start time differs)', async () => {
      const p = project()
      const backend = await openLockBackend({dir: root}, p)
      opened.push(backend)
      const sleeper = spawn('sleep', ['60'], {detached: true, stdio: 'ignore'})
      trackGroup(sleeper.pid!)
      const startTime = readStartTime(sleeper.pid!)
      expect(startTime).not.toBeNull()
      // The same pid with the start time it really has: a live holder, never pruned.
      const live = await backend.acquire({lock: 'live', holders: 1, owner: {...owner(p), pid: sleeper.pid!, startTime}})
      const blocked = await backend.acquire({lock: 'live', holders: 1, owner: owner(p), timeoutMs: 2500}).catch((e: unknown) => e)
      expect(blocked).toBeInstanceOf(LockTimeoutError)
      await live.release()
      // A ticket recording another start time for that pid: the recorded process is gone and its
      // pid reused by the sleeper. Rewrite a granted ticket so, as pid reuse would leave it.
      const reused = await backend.acquire({lock: 'reused', holders: 1, owner: {...owner(p), pid: sleeper.pid!, startTime}})
      const dir = join(root, p, 'reused')
      const ticket = join(dir, readdirSync(dir).find((name) => name.includes(reused.id))!)
      writeFileSync(`${ticket}.new`, JSON.stringify({...JSON.parse(readFileSync(ticket, 'utf8')), startTime: startTime! - 1}))
      renameSync(`${ticket}.new`, ticket)
      const started = Date.now()
      const next = await backend.acquire({lock: 'reused', holders: 1, owner: owner(p), timeoutMs: 10_000})
      expect(Date.now() - started).toBeLessThan(5000)
      await next.release()
    })

    it('waits without burning CPU (file events and a slow re-check, no busy loop)', async () => {
      const p = project()
      const backend = await openLockBackend({dir: root}, p)
      opened.push(backend)
      const held = await backend.acquire({lock: 'restart', holders: 1, owner: owner(p)})
      const waiter = new HolderProcess(holderScript(), {settings: {dir: root}, project: p, lock: 'restart'})
      await waiter.waitFor('waiting')
      const before = cpuMs(waiter.pid)
      await new Promise((r) => setTimeout(r, 3000))
      const used = cpuMs(waiter.pid) - before
      // A polling loop would use most of the 3s; file events and a 1s re-check use a few ms.
      expect(used).toBeLessThan(300)
      await held.release()
      await waiter.waitFor('granted')
      waiter.release()
      await waiter.waitFor('released')
    })

    it('refuses lock names that are not names (operator input reaches file paths)', async () => {
      const backend = await openLockBackend({dir: root}, project())
      opened.push(backend)
      await expect(backend.release('../etc', 'abc')).rejects.toThrow(/invalid lock name/)
    })
  })
})
