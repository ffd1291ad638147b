// A throwaway etcd server on loopback for the benches, in its own process group (the caller
// records `child.pid` and kills the group when it is done).
import {spawn} from 'node:child_process'
import {createServer} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** Starts etcd with its data in `dataDir`; resolves once it reports healthy. */
export async function startEtcd(dataDir) {
  const [clientPort, peerPort] = [await freePort(), await freePort()]
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  const child = spawn(
    'etcd',
    ['--name', 'bench', '--data-dir', dataDir, '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`,
      '--initial-cluster-state', 'new', '--heartbeat-interval', '50', '--election-timeout', '500', '--logger', 'zap', '--log-level', 'error'],
    {detached: true, stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()))
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/health`, {signal: AbortSignal.timeout(1000)})
      if ((await response.json()).health === 'true') return {endpoint, child}
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
      throw new Error(`etcd did not start at ${endpoint}: ${stderr}`)
    }
    await sleep(100)
  }
}
