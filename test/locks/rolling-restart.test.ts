import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, compctlAsync, tempProject} from '../helpers/cli.js'
import {describeWithEtcd} from './etcd-server.js'

/*
 * Three hosts of one project (three folders, three states, one `project:` name) restart their
 * component at once under `lock: restart`. Each component appends `stop HOST NS` when SIGTERM
 * stops it and `start HOST NS` when it starts; a start holds the lock until it is ready: a gate
 * file exists (so the first host keeps the lock until all three have asked for it) and it has
 * stayed up for 1s.
 */

const HOSTS = ['host1', 'host2', 'host3']
const READY_AFTER_MS = 1000

function desiredFile(project: string, locksYaml: string, host: string, log: string, gate: string, version: string): string {
  const script = `trap 'echo stop $TAG $(date +%s%N) >> "$LOG"; exit 0' TERM; echo start $TAG $(date +%s%N) >> "$LOG"; sleep 300 & wait`
  return [
    'version: 1',
    `project: ${project}`,
    'settings:',
    `  locks: ${locksYaml}`,
    'locks:',
    '  restart: {holders: 1}',
    'components:',
    '  svc:',
    `    command: ["sh", "-c", ${JSON.stringify(script)}]`,
    `    env: {TAG: ${host}, LOG: ${JSON.stringify(log)}, VERSION: "${version}"}`,
    `    ready: {command: ["test", "-e", ${JSON.stringify(gate)}], after: ${READY_AFTER_MS}ms, timeout: 30s}`,
    '    stop: {signal: SIGTERM, timeout: 5s}',
    '    lock: restart',
    '',
  ].join('\n')
}

interface Record {
  kind: 'start' | 'stop'
  host: string
  ms: number
}

function readRecords(log: string): Record[] {
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [kind, host, ns] = line.split(' ')
      return {kind: kind as Record['kind'], host: host!, ms: Number(BigInt(ns!) / 1_000_000n)}
    })
}

async function untilLine(run: ReturnType<typeof compctlAsync>, test: (event: {type: string; position?: number}) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const events = run.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as {type: string; position?: number})
    if (events.some(test)) return
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`${what}: not seen; stdout ${run.output().stdout}; stderr ${run.output().stderr}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function rollingRestart(locksYaml: (project: string) => string): Promise<void> {
  const project = `rolling-${randomBytes(4).toString('hex')}`
  const shared = tempProject()
  const log = join(shared, 'events.log')
  const gate = join(shared, 'gate')
  writeFileSync(gate, '')
  const folders = HOSTS.map(() => tempProject())
  HOSTS.forEach((host, i) => writeFileSync(join(folders[i]!, 'compctl.yaml'), desiredFile(project, locksYaml(project), host, log, gate, '1')))
  for (const folder of folders) {
    const first = compctl(['apply', '--auto-approve'], {cwd: folder})
    expect(first.code, first.stderr).toBe(0)
  }
  writeFileSync(log, '')
  rmSync(gate)
  HOSTS.forEach((host, i) => writeFileSync(join(folders[i]!, 'compctl.yaml'), desiredFile(project, locksYaml(project), host, log, gate, '2')))

  // Requests in a known order: each apply starts once the one before holds or waits for the lock.
  const runs: Array<ReturnType<typeof compctlAsync>> = []
  try {
    for (const [i, folder] of folders.entries()) {
      const run = compctlAsync(['apply', '--auto-approve', '--json'], {cwd: folder})
      runs.push(run)
      if (i === 0) await untilLine(run, (e) => e.type === 'lock_acquired', 'host1 holds the lock')
      else await untilLine(run, (e) => e.type === 'lock_waiting' && e.position === i, `host${i + 1} waits at position ${i}`)
    }
    writeFileSync(gate, '')
    const results = await Promise.all(runs.map((r) => r.done))
    results.forEach((result, i) => expect(result.code, `host${i + 1}: ${result.stderr}`).toBe(0))
  } finally {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL')
  }

  const records = readRecords(log)
  // Each host stops, then starts, and the next host's stop comes only after that start was ready.
  expect(records.map((r) => `${r.kind} ${r.host}`)).toEqual(HOSTS.flatMap((h) => [`stop ${h}`, `start ${h}`]))
  for (let i = 1; i < HOSTS.length; i++) {
    const previousStart = records[2 * i - 1]!
    const nextStop = records[2 * i]!
    // The lock is released once the start is ready (1s after it); a little slack for `date` vs. compctl's clock.
    expect(nextStop.ms - previousStart.ms).toBeGreaterThanOrEqual(READY_AFTER_MS - 100)
  }
}

describe('rolling restart of three hosts under `lock: restart`', () => {
  it('file backend: restarts never overlap, all succeed, in request order', async () => {
    const lockDir = mkdtempSync(join(tmpdir(), 'compctl-rolling-locks-'))
    try {
      await rollingRestart(() => `{backend: file, dir: ${JSON.stringify(lockDir)}}`)
    } finally {
      rmSync(lockDir, {recursive: true, force: true})
    }
  })

  describeWithEtcd('etcd backend', (etcd) => {
    it('restarts never overlap, all succeed, in request order', async () => {
      await rollingRestart(() => `{backend: etcd, etcd: {endpoints: [${JSON.stringify(etcd().endpoint)}], prefix: /rolling, ttl: 5s}}`)
    })
  })
})
