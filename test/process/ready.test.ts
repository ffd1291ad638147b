import {mkdirSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer, type Server} from 'node:net'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {LaunchedProcess} from '../../src/process/launch.js'
import {waitUntilReady, type ReadyTarget} from '../../src/process/ready.js'
import {launchTracked, workspace} from './helpers.js'

const servers: (Server | HttpServer)[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolveClose) => server.close(resolveClose))))
})

function listen<S extends Server | HttpServer>(server: S, port = 0): Promise<number> {
  servers.push(server)
  return new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      resolveListen(typeof address === 'object' && address ? address.port : 0)
    })
  })
}

/** A port nothing listens on: one the system just gave out and took back. */
async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  servers.splice(servers.indexOf(server), 1)
  await new Promise((resolveClose) => server.close(resolveClose))
  return port
}

async function sleeper(command: string | string[] = ['sleep', '30'], earlierLog = ''): Promise<{launched: LaunchedProcess; target: ReadyTarget; dir: string}> {
  const {dir, log} = workspace()
  // What earlier runs left in the log: this start's lines count from its end.
  mkdirSync(dirname(log), {recursive: true})
  writeFileSync(log, earlierLog)
  const launched = await launchTracked({command, cwd: dir, logFile: log})
  return {launched, dir, target: {identity: launched, exited: launched.exited, cwd: dir, log: {file: log, offset: Buffer.byteLength(earlierLog)}}}
}

describe('waitUntilReady', () => {
  it('without a probe, a live process is ready at once and a dead one is not', async () => {
    const {target} = await sleeper()
    expect(await waitUntilReady(undefined, target)).toMatchObject({ok: true})
    const {launched: quitter, target: quitterTarget} = await sleeper(['sh', '-c', 'exit 5'])
    await quitter.exited
    expect(await waitUntilReady(undefined, quitterTarget)).toEqual({ok: false, reason: 'exited with code 5 before it was ready'})
  })

  it('tcp: waits until the port accepts a connection, reporting progress', async () => {
    const {target} = await sleeper()
    const port = await freePort()
    const progress: string[] = []
    const opening = new Promise<void>((resolveOpen) => setTimeout(() => void listen(createServer((socket) => socket.end()), port).then(() => resolveOpen()), 600))
    const result = await waitUntilReady({tcp: `127.0.0.1:${port}`, timeout: '20s'}, target, {onProgress: (message) => progress.push(message)})
    await opening
    expect(result.ok).toBe(true)
    expect(result.ok && result.elapsedMs).toBeGreaterThanOrEqual(500)
    expect(progress[0]).toBe(`waiting for tcp 127.0.0.1:${port}`)
    expect(progress).toContain(`still waiting for tcp 127.0.0.1:${port}: connection refused`)
  })

  it('tcp: a port that never listens times out with the reason', async () => {
    const {target} = await sleeper()
    const port = await freePort()
    const started = Date.now()
    const result = await waitUntilReady({tcp: `127.0.0.1:${port}`, timeout: '1s'}, target)
    expect(result).toEqual({ok: false, reason: `tcp 127.0.0.1:${port} did not hold within 1.0s (last: connection refused)`})
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })

  it('http: ready on a 2xx answer, retried while it answers 500', async () => {
    const {target} = await sleeper()
    let requests = 0
    const port = await listen(createHttpServer((_request, response) => response.writeHead(++requests >= 3 ? 200 : 500).end()))
    const result = await waitUntilReady({http: `http://127.0.0.1:${port}/health`, timeout: '20s'}, target)
    expect(result.ok).toBe(true)
    expect(requests).toBe(3)
  })

  it('http: a server that keeps answering 500 times out naming the status', async () => {
    const {target} = await sleeper()
    const port = await listen(createHttpServer((_request, response) => response.writeHead(500).end()))
    const result = await waitUntilReady({http: `http://127.0.0.1:${port}/`, timeout: '1s'}, target)
    expect(result).toEqual({ok: false, reason: `http http://127.0.0.1:${port}/ did not hold within 1.0s (last: answered 500)`})
  })

  it('command: retried in cwd with env until it exits 0', async () => {
    const {target, dir} = await sleeper()
    setTimeout(() => writeFileSync(join(dir, 'marker'), ''), 600)
    const started = Date.now()
    const result = await waitUntilReady({command: 'test -e "$MARKER"', timeout: '20s'}, {...target, env: {MARKER: 'marker'}})
    expect(result.ok).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
  })

  it('command: a probe that cannot run fails at once', async () => {
    const {target} = await sleeper()
    const started = Date.now()
    const result = await waitUntilReady({command: ['no-such-probe-compctl'], timeout: '20s'}, target)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(/^command no-such-probe-compctl: cannot run it: .*ENOENT/)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('after: a process must stay alive that long', async () => {
    const {target} = await sleeper()
    const result = await waitUntilReady({after: '1s'}, target)
    expect(result.ok).toBe(true)
    expect(result.ok && result.elapsedMs).toBeGreaterThanOrEqual(1000)
    const {target: shortLived} = await sleeper(['sh', '-c', 'sleep 0.2; exit 7'])
    expect(await waitUntilReady({after: '1s'}, shortLived)).toEqual({ok: false, reason: 'exited with code 7 before it was ready'})
  })

  it('fails fast, well before the timeout, when the process exits first', async () => {
    const {target} = await sleeper(['sh', '-c', 'sleep 0.3; exit 4'])
    const port = await freePort()
    const started = Date.now()
    const result = await waitUntilReady({tcp: `127.0.0.1:${port}`, timeout: '30s'}, target)
    expect(result).toEqual({ok: false, reason: 'exited with code 4 before it was ready'})
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('fails fast for a process it did not launch (no exit status) once it is gone', async () => {
    const {launched, target} = await sleeper()
    const port = await freePort()
    setTimeout(() => process.kill(-launched.pid, 'SIGKILL'), 300)
    const started = Date.now()
    const result = await waitUntilReady({tcp: `127.0.0.1:${port}`, timeout: '30s'}, {...target, identity: {pid: launched.pid, startTime: launched.startTime}, exited: undefined})
    expect(result).toEqual({ok: false, reason: `pid ${launched.pid} exited before it was ready`})
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('refuses a pid that is now another process', async () => {
    const {launched, target} = await sleeper()
    const result = await waitUntilReady(undefined, {...target, identity: {pid: launched.pid, startTime: launched.startTime - 1}, exited: undefined})
    expect(result).toEqual({ok: false, reason: `pid ${launched.pid} is no longer the launched process (its start time changed)`})
  })

  it('ends with "interrupted" when aborted', async () => {
    const {target} = await sleeper()
    const port = await freePort()
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const started = Date.now()
    const result = await waitUntilReady({tcp: `127.0.0.1:${port}`, timeout: '30s'}, target, {signal: controller.signal})
    expect(result).toEqual({ok: false, reason: 'interrupted'})
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('log: ready once a matching line is written after this start, not from a line an earlier run left', async () => {
    const {target} = await sleeper(['sh', '-c', 'sleep 0.6; echo "auth: started (pid $$)"; exec sleep 30'], 'auth: started (pid 1)\n')
    const started = Date.now()
    const result = await waitUntilReady({log: 'auth: started', timeout: '20s'}, target)
    expect(result.ok).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
  })

  it('log: a matching line only from an earlier run times out with the reason', async () => {
    const {target} = await sleeper(['sleep', '30'], 'noise\nauth: started (pid 1)\n')
    const result = await waitUntilReady({log: '^auth: started', timeout: '1s'}, target)
    expect(result).toEqual({ok: false, reason: 'log /^auth: started/ did not hold within 1.0s (last: no matching line yet)'})
  })

  it('log: a line written in two parts counts once its newline arrives, and is matched whole', async () => {
    const {target} = await sleeper(['sh', '-c', 'printf "listening on "; sleep 0.8; printf "port 53\\n"; exec sleep 30'])
    const started = Date.now()
    const result = await waitUntilReady({log: '^listening on port 53$', timeout: '20s'}, target)
    expect(result.ok).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(700)
  })

  it('log: a log truncated in place (copy-then-truncate rotation) is read again from its start', async () => {
    const earlier = 'an earlier run wrote this line\n'.repeat(40)
    // The process truncates its own log (its stdout) by path, as logrotate's copytruncate does.
    const {target} = await sleeper(['sh', '-c', 'sleep 0.6; : > /proc/$$/fd/1; echo ready; exec sleep 30'], earlier)
    const result = await waitUntilReady({log: '^ready$', timeout: '20s'}, target)
    expect(result.ok).toBe(true)
  })
})
