import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe} from 'vitest'

/** A throwaway etcd server on loopback, in its own process group. */
export interface EtcdServer {
  endpoint: string
  pid: number
  /** SIGSTOP/SIGCONT the server: clients see it stop answering without a connection reset. */
  pause(): void
  resume(): void
  /** SIGKILL, keeping its data: `restart()` brings it back on the same port. */
  kill(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Why the etcd tests cannot run here, or null when they can. */
export function etcdUnavailableReason(): string | null {
  const found = spawnSync('etcd', ['--version'], {encoding: 'utf8'})
  if (found.error || found.status !== 0) return 'no `etcd` binary on PATH (Debian: apt-get install etcd-server etcd-client)'
  return null
}

/** True when running under CI, where a missing etcd must fail the run instead of skipping it. */
export function inCi(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/**
 * A describe block whose tests share a real etcd server on loopback, started before them and
 * stopped after. Without an etcd binary it is skipped with the reason, except under CI, where a
 * missing etcd fails the run instead (never a silent skip).
 */
export function describeWithEtcd(title: string, body: (etcd: () => EtcdServer) => void): void {
  const unavailable = etcdUnavailableReason()
  const skip = unavailable !== null && !inCi()
  if (skip) console.warn(`${title}: skipped: ${unavailable}. Under CI=true it fails instead.`)
  describe.skipIf(skip)(`${title}${skip ? ` (skipped: ${unavailable})` : ''}`, () => {
    let etcd: EtcdServer | undefined
    beforeAll(async () => {
      if (unavailable !== null) throw new Error(`CI is set but the etcd tests cannot run: ${unavailable}`)
      etcd = await startEtcd()
    })
    afterAll(async () => {
      await etcd?.stop()
    })
    body(() => etcd!)
  })
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/health`, {signal: AbortSignal.timeout(1000)})
    const body = (await response.json()) as {health?: string}
    return body.health === 'true'
  } catch {
    return false
  }
}

/** Starts etcd on free loopback ports with a temporary data folder and waits until it is healthy. */
export async function startEtcd(): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'compctl-etcd-'))
  const clientPort = await freePort()
  const peerPort = await freePort()
  let running = await runEtcd(dataDir, clientPort, peerPort)
  const server: EtcdServer = {
    endpoint: running.endpoint,
    pid: running.pid,
    pause: () => running.signalGroup('SIGSTOP'),
    resume: () => running.signalGroup('SIGCONT'),
    kill: () => running.kill(),
    restart: async () => {
      await running.kill()
      running = await runEtcd(dataDir, clientPort, peerPort)
      server.pid = running.pid
    },
    stop: async () => {
      await running.kill()
      rmSync(dataDir, {recursive: true, force: true})
    },
  }
  return server
}

/** One etcd process on `dataDir`, healthy. */
async function runEtcd(dataDir: string, clientPort: number, peerPort: number) {
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  const child = spawn(
    'etcd',
    [
      '--name', 'test',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'error',
    ],
    {detached: true, stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)))
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()))
  const pid = child.pid!
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal)
    } catch {}
  }
  const kill = async () => {
    signalGroup('SIGCONT')
    signalGroup('SIGKILL')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
  }
  const deadline = Date.now() + 20_000
  while (!(await answers(endpoint))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill()
      rmSync(dataDir, {recursive: true, force: true})
      throw new Error(`etcd did not become healthy at ${endpoint}: ${stderr.trim() || 'no output'}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {endpoint, pid, signalGroup, kill}
}
