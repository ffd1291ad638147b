import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {UserError} from '../../src/errors.js'
import {readStartTime} from '../../src/process/observe.js'
import {acquireStateLock, forceUnlock, readStateLock, stateLockPath, type StateLockInfo} from '../../src/state/lock.js'
import {bundleForChild} from '../helpers/bundle.js'
import {ROOT, tempProject, trackGroup} from '../helpers/cli.js'

/*
 * Other holders are real processes running the real module: src/state/lock.ts is bundled with
 * esbuild into a small driver once per run, so no test re-implements the lock file format.
 * The driver reads commands on stdin (`acquire OPERATION TIMEOUT_MS [AT_EPOCH_MS]`, `release`) and
 * answers JSON lines.
 */
const DRIVER = `
import {createInterface} from 'node:readline'
import {acquireStateLock} from './lock.js'
const stateDir = process.argv[2]
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
let held = null
say({event: 'ready'})
for await (const line of createInterface({input: process.stdin})) {
  const [command, operation, timeout, at] = line.split(' ')
  if (command === 'acquire') {
    // A start time shared by several drivers lines them up within a millisecond, for races.
    while (at !== undefined && Date.now() < Number(at)) {}
    try {
      held = await acquireStateLock(stateDir, {operation, timeoutMs: Number(timeout), onNote: (message) => say({event: 'note', message})})
      say({event: 'acquired', info: held.info})
    } catch (error) {
      say({event: 'refused', message: error.message, hint: error.hint})
    }
  } else if (command === 'release') {
    await held.release()
    say({event: 'released'})
  }
}
`

let driverDir: string
let driverPath: string

beforeAll(async () => {
  driverDir = mkdtempSync(join(tmpdir(), 'compctl-lock-driver-'))
  driverPath = join(driverDir, 'driver.mjs')
  await bundleForChild(driverPath, {contents: DRIVER, resolveDir: join(ROOT, 'src/state')})
})

afterAll(() => rmSync(driverDir, {recursive: true, force: true}))

interface DriverMessage {
  event: 'ready' | 'acquired' | 'refused' | 'released' | 'note'
  info?: StateLockInfo
  message?: string
  hint?: string
}

/** A driver process in its own process group, killed by the shared cleanup. */
class OtherProcess {
  readonly child: ChildProcessWithoutNullStreams
  private readonly messages: DriverMessage[] = []
  private readonly waiters: Array<() => void> = []

  constructor(stateDir: string) {
    this.child = spawn(process.execPath, [driverPath, stateDir], {detached: true, stdio: 'pipe'})
    trackGroup(this.child.pid!)
    createInterface({input: this.child.stdout}).on('line', (line) => {
      this.messages.push(JSON.parse(line) as DriverMessage)
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  send(line: string): void {
    this.child.stdin.write(line + '\n')
  }

  /** The next message with one of `events` (notes are kept for `notes()`). */
  async next(...events: DriverMessage['event'][]): Promise<DriverMessage> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const index = this.messages.findIndex((m) => events.includes(m.event))
      if (index !== -1) return this.messages.splice(index, 1)[0]!
      if (Date.now() > deadline) throw new Error(`driver ${this.pid}: no ${events.join('/')} within 20s`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }

  async acquire(operation: string, timeoutMs = 0): Promise<DriverMessage> {
    this.send(`acquire ${operation} ${timeoutMs}`)
    return this.next('acquired', 'refused')
  }

  async kill9(): Promise<void> {
    const exited = once(this.child, 'exit')
    process.kill(-this.pid, 'SIGKILL')
    await exited
  }
}

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise
  } catch (error) {
    return error as UserError
  }
  throw new Error('expected a rejection')
}

function rewriteLock(stateDir: string, changes: Partial<StateLockInfo>): StateLockInfo {
  const info = {...(JSON.parse(readFileSync(stateLockPath(stateDir), 'utf8')) as StateLockInfo), ...changes}
  writeFileSync(stateLockPath(stateDir), JSON.stringify(info))
  return info
}

/** A pid that no longer runs: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn('true')
  await once(child, 'exit')
  return child.pid!
}

describe('state lock', () => {
  it('records its holder, creates the state folder, and release removes it only while it is ours', async () => {
    const stateDir = join(tempProject(), 'state', 'nested')
    const first = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
    const onDisk = JSON.parse(readFileSync(stateLockPath(stateDir), 'utf8')) as StateLockInfo
    expect(onDisk).toEqual(first.info)
    expect(onDisk).toMatchObject({operation: 'apply', pid: process.pid, startTime: readStartTime(process.pid)})
    expect(onDisk.who).toBe(`${onDisk.who.split('@')[0]}@${onDisk.host}`)
    expect(await readStateLock(stateDir)).toEqual(first.info)
    await first.release()
    expect(existsSync(stateLockPath(stateDir))).toBe(false)
    expect(await readStateLock(stateDir)).toBeNull()

    // A release after the lock was force-unlocked and taken by someone else leaves theirs alone.
    const stale = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
    await forceUnlock(stateDir, stale.info.id)
    const current = await acquireStateLock(stateDir, {operation: 'destroy', timeoutMs: 0})
    await stale.release()
    expect((await readStateLock(stateDir))?.id).toBe(current.info.id)
    await current.release()
  })

  it('a second acquire in another process fails at once, naming the holder', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    const held = await acquireStateLock(stateDir, {operation: 'destroy', timeoutMs: 0})
    const started = Date.now()
    const refused = await other.acquire('apply')
    expect(refused.event).toBe('refused')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(refused.message).toContain(`destroy by ${held.info.who}, pid ${process.pid}`)
    expect(refused.message).toContain(held.info.id)
    expect(refused.hint).toContain(`compctl force-unlock ${held.info.id}`)
    await held.release()

    // And the other way round: the other process holds it, this one is refused.
    const acquired = await other.acquire('supervise')
    expect(acquired.event).toBe('acquired')
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0}))
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain(`supervise by ${acquired.info!.who}, pid ${other.pid}`)
    expect((await readStateLock(stateDir))?.id).toBe(acquired.info!.id)
  })

  it('waits for a holder that releases within the timeout', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    expect((await other.acquire('apply')).event).toBe('acquired')
    const notes: string[] = []
    const started = Date.now()
    const waiting = acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 20_000, onNote: (n) => notes.push(n)})
    await new Promise((resolve) => setTimeout(resolve, 600))
    other.send('release')
    const held = await waiting
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(held.info.pid).toBe(process.pid)
    expect(notes.join('\n')).toContain(`pid ${other.pid}`)
    expect(notes.join('\n')).toMatch(/^Waiting up to/)
    await held.release()
  })

  it('gives up after the timeout while the holder keeps the lock', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    const acquired = await other.acquire('apply')
    const started = Date.now()
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 800}))
    expect(Date.now() - started).toBeGreaterThanOrEqual(750)
    expect(error.message).toContain('still locked after 800ms')
    expect(error.message).toContain(`pid ${other.pid}`)
    expect((await readStateLock(stateDir))?.id).toBe(acquired.info!.id)
  })

  it('stops waiting when its signal aborts', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    await other.acquire('apply')
    const controller = new AbortController()
    const started = Date.now()
    setTimeout(() => controller.abort(), 300)
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 60_000, signal: controller.signal}))
    expect((error as Error).name).toBe('AbortError')
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('takes over the lock of a holder killed with SIGKILL', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    const acquired = await other.acquire('apply')
    await other.kill9()
    const notes: string[] = []
    const held = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0, onNote: (n) => notes.push(n)})
    expect(held.info.pid).toBe(process.pid)
    expect((await readStateLock(stateDir))?.id).toBe(held.info.id)
    expect(notes).toHaveLength(1)
    expect(notes[0]).toContain(`Took over the state lock`)
    expect(notes[0]).toContain(`pid ${acquired.info!.pid}`)
    expect(notes[0]).toContain('that process is gone')
    await held.release()
  })

  it('takes over a lock whose live pid has another start time, and not one whose start time matches', async () => {
    const stateDir = join(tempProject(), 'state')
    const sleeper = spawn('sleep', ['60'], {detached: true, stdio: 'ignore'})
    trackGroup(sleeper.pid!)
    const sleeperStart = readStartTime(sleeper.pid!)
    expect(sleeperStart).not.toBeNull()

    const mine = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
    rewriteLock(stateDir, {pid: sleeper.pid!, startTime: sleeperStart})
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0}))
    expect(error.message).toContain(`pid ${sleeper.pid}`)

    rewriteLock(stateDir, {startTime: sleeperStart! - 1})
    const notes: string[] = []
    const held = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0, onNote: (n) => notes.push(n)})
    expect((await readStateLock(stateDir))?.id).toBe(held.info.id)
    expect(notes.join('\n')).toContain(`pid ${sleeper.pid} now belongs to another process`)
    await held.release()
    await mine.release()
  })

  it('leaves alone a lock held from another host, even with a pid that is not running here', async () => {
    const stateDir = join(tempProject(), 'state')
    const mine = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
    const foreign = rewriteLock(stateDir, {host: 'elsewhere.invalid', who: 'ann@elsewhere.invalid', pid: await deadPid()})
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0}))
    expect(error.message).toContain('held from host elsewhere.invalid')
    expect((await readStateLock(stateDir))?.id).toBe(foreign.id)
    await forceUnlock(stateDir, foreign.id)
    await mine.release()
  })

  it('two processes taking over one stale lock at once: exactly one wins', async () => {
    const stateDir = join(tempProject(), 'state')
    for (let round = 0; round < 10; round++) {
      const seed = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
      // The seed is never released: rewritten, it is the lock of a process that no longer runs.
      const stale = rewriteLock(stateDir, {pid: await deadPid(), startTime: 1})
      expect(stale.id).toBe(seed.info.id)
      expect((await readStateLock(stateDir))?.id).toBe(stale.id)

      const racers = [new OtherProcess(stateDir), new OtherProcess(stateDir)]
      await Promise.all(racers.map((racer) => racer.next('ready')))
      const at = Date.now() + 100
      racers.forEach((racer) => racer.send(`acquire apply 0 ${at}`))
      const results = await Promise.all(racers.map((racer) => racer.next('acquired', 'refused')))
      const winners = results.filter((r) => r.event === 'acquired')
      expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1)
      const winner = winners[0]!.info!
      const loser = results.find((r) => r.event === 'refused')!
      expect(loser.message).toContain(`pid ${winner.pid}`)
      expect((await readStateLock(stateDir))?.id).toBe(winner.id)
      // Neither left a takeover marker or temporary file behind.
      for (const racer of racers) await racer.kill9()
      const leftovers = readdirSync(stateDir).filter((f) => f !== 'compctl.lock')
      expect(leftovers).toEqual([])
    }
  })

  it('force-unlock removes the lock with its id and refuses any other id', async () => {
    const stateDir = join(tempProject(), 'state')
    const other = new OtherProcess(stateDir)
    const acquired = (await other.acquire('apply')).info!
    const wrong = await rejection(forceUnlock(stateDir, 'not-the-id'))
    expect(wrong).toBeInstanceOf(UserError)
    expect(wrong.message).toContain(`the state lock's id is ${acquired.id}, not not-the-id`)
    expect(existsSync(stateLockPath(stateDir))).toBe(true)

    const removed = await forceUnlock(stateDir, acquired.id)
    expect(removed).toEqual(acquired)
    expect(existsSync(stateLockPath(stateDir))).toBe(false)
    const none = await rejection(forceUnlock(stateDir, acquired.id))
    expect(none.message).toContain('the state is not locked')
  })

  it('clears what a taker killed mid-write left beside the lock, and keeps what a live one is writing', async () => {
    const stateDir = tempProject()
    const gone = await deadPid()
    const abandoned = [`compctl.lock.tmp-${gone}-0badf00d`, `compctl.lock.takeover.tmp-${gone}-0ddba11a`]
    const live = `compctl.lock.tmp-${process.pid}-feedface`
    for (const name of [...abandoned, live]) writeFileSync(join(stateDir, name), '{"half": ')
    const held = await acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0})
    expect(readdirSync(stateDir).filter((name) => name.startsWith('compctl.lock')).sort()).toEqual(['compctl.lock', live])
    await held.release()
  })

  it('an unreadable lock file is an error naming it, not something to overwrite', async () => {
    const stateDir = tempProject()
    writeFileSync(stateLockPath(stateDir), '{"half": ')
    const error = await rejection(acquireStateLock(stateDir, {operation: 'apply', timeoutMs: 0}))
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain(`${stateLockPath(stateDir)}: the state lock is unreadable`)
    expect(readFileSync(stateLockPath(stateDir), 'utf8')).toBe('{"half": ')
  })
})
