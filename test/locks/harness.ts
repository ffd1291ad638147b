import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll} from 'vitest'
import type {LockBackend, LockSettings} from '../../src/locks/index.js'
import {ROOT, trackGroup} from '../helpers/cli.js'
import {bundleForChild, etcd3ByPath} from '../helpers/bundle.js'

/**
 * Tests run TypeScript through vitest, but a holder in another process needs plain JavaScript:
 * the fixture is bundled with esbuild (the tool that builds dist/) into a temporary .mjs, with
 * the lock backends compiled in from src/. etcd3 stays external, imported by its absolute path
 * so the bundle runs from any folder.
 */
export async function buildHolderScript(): Promise<{script: string; cleanup(): void}> {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-holder-'))
  const script = join(dir, 'holder.mjs')
  await bundleForChild(script, {entry: join(ROOT, 'test/locks/fixtures/holder.ts')}, {plugins: [etcd3ByPath()]})
  return {script, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** The holder script for the tests of the enclosing describe block: built before them, removed after. */
export function useHolderScript(): () => string {
  let built: {script: string; cleanup(): void} | undefined
  beforeAll(async () => {
    built = await buildHolderScript()
  })
  afterAll(() => built?.cleanup())
  return () => built!.script
}

/** A list to push the backends a test opens onto: each is closed after the test. */
export function closedAfterEach(): LockBackend[] {
  const opened: LockBackend[] = []
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((backend) => backend.close()))
  })
  return opened
}

export interface HolderEvent {
  event: 'waiting' | 'granted' | 'released' | 'lost' | 'error'
  [field: string]: unknown
}

/** A lock holder in another process (its own process group, killed after the test). */
export class HolderProcess {
  readonly child: ChildProcess
  readonly events: HolderEvent[] = []
  private readonly listeners = new Set<() => void>()
  private stderr = ''

  constructor(script: string, config: {settings: LockSettings; project: string; lock: string; holders?: number; step?: string}) {
    this.child = spawn(process.execPath, [script, JSON.stringify({holders: 1, ...config})], {detached: true, stdio: ['pipe', 'pipe', 'pipe']})
    trackGroup(this.child.pid!)
    let buffered = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let newline: number
      while ((newline = buffered.indexOf('\n')) !== -1) {
        this.events.push(JSON.parse(buffered.slice(0, newline)) as HolderEvent)
        buffered = buffered.slice(newline + 1)
        for (const listener of this.listeners) listener()
      }
    })
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.child.on('exit', () => {
      for (const listener of this.listeners) listener()
    })
  }

  get pid(): number {
    return this.child.pid!
  }

  /** The first event of that kind, waiting up to `timeoutMs` for it. */
  waitFor(kind: HolderEvent['event'], timeoutMs = 20_000): Promise<HolderEvent> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.events.find((e) => e.event === kind)
        if (found) {
          done()
          resolve(found)
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done()
          reject(new Error(`holder ${this.pid} exited before "${kind}"; events ${JSON.stringify(this.events)}; stderr: ${this.stderr}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`holder ${this.pid}: no "${kind}" within ${timeoutMs}ms; events ${JSON.stringify(this.events)}; stderr: ${this.stderr}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.listeners.delete(look)
      }
      this.listeners.add(look)
      look()
    })
  }

  has(kind: HolderEvent['event']): boolean {
    return this.events.some((e) => e.event === kind)
  }

  release(): void {
    this.child.stdin!.write('release\n')
  }

  /** SIGKILL to the holder's process group: it gets no chance to release anything. */
  killHard(): void {
    process.kill(-this.pid, 'SIGKILL')
  }
}
