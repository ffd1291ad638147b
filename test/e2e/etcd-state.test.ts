import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {FleetReport} from '../../src/services/fleet.js'
import type {CompctlState} from '../../src/model/generated/state.js'
import {compctl, compctlAsync, ROOT, tempProject} from '../helpers/cli.js'
import {isAlive, launchedProcesses, waitFor} from '../helpers/state.js'
import {describeWithEtcd, startEtcd, type EtcdServer} from '../locks/etcd-server.js'

const PREFIX = '/compctl-e2e'

/** A desired-state file with its state in etcd. */
function etcdFile(endpoint: string, project: string, body: string, instance?: string): string {
  return `version: 1
project: ${project}
settings:
${instance ? `  instance: ${instance}\n` : ''}  state:
    backend: etcd
    etcd: { endpoints: ["${endpoint}"], prefix: ${PREFIX}, ttl: 2s }
${body}`
}

function folderWith(text: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), text)
  return dir
}

function etcdctl(endpoint: string, ...args: string[]): string {
  return execFileSync('etcdctl', ['--endpoints', endpoint, ...args], {encoding: 'utf8', env: {...process.env, ETCDCTL_API: '3'}})
}

function stateIn(endpoint: string, project: string, instance: string): CompctlState {
  return JSON.parse(etcdctl(endpoint, 'get', '--print-value-only', `${PREFIX}/${project}/state/${instance}`)) as CompctlState
}

const ONE_SLEEPER = `components:
  web:
    command: ["sleep", "300"]
`

const SLOW = `components:
  first:
    priority: 10
    command: ["sleep", "300"]
    ready: { after: 3s }
  second:
    dependsOn: [first]
    command: ["sleep", "300"]
`

describeWithEtcd('state in etcd, end to end', (etcd) => {
  const project = () => `e2e-${randomBytes(4).toString('hex')}`

  it('three hosts (three folders, three instance names, one etcd) apply one file; status --all lists all three', () => {
    const p = project()
    const hosts = ['web-1', 'web-2', 'web-3'].map((instance) => ({instance, dir: folderWith(etcdFile(etcd().endpoint, p, ONE_SLEEPER, instance))}))
    for (const {dir} of hosts) expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const json = compctl(['status', '--all', '--json'], {cwd: hosts[0]!.dir})
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as FleetReport
    expect(report.instances.map((i) => i.instance)).toEqual(['web-1', 'web-2', 'web-3'])
    for (const instance of report.instances) {
      expect(instance).toMatchObject({running: 1, declared: 1, serial: stateIn(etcd().endpoint, p, instance.instance).serial})
      expect(instance.lastApply).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect(instance.components).toEqual([expect.objectContaining({name: 'web', status: 'running'})])
    }
    const text = compctl(['status', '--all'], {cwd: hosts[2]!.dir})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`Project ${p}: 3 instances in ${etcd().endpoint}${PREFIX}/${p}/state/`)
    expect(text.stdout).toMatch(/^web-2\s+\S+\s+\d+\s+\S+\s+1\/1\s+-$/m)
  })

  it('CI-style: a change applied from folder A is not planned again from a fresh folder B with the same instance', () => {
    const p = project()
    // The endpoints come from the CI environment; the file's own point nowhere.
    const env = {COMPCTL_STATE_ETCD_ENDPOINTS: etcd().endpoint}
    const file = etcdFile('http://127.0.0.1:9', p, `changes:\n  migrate:\n    targets: [{name: db}]\n    apply: {run: ["echo migrated >> ran.txt"]}\n`, 'ci')
    const a = folderWith(file)
    expect(compctl(['apply', '--auto-approve'], {cwd: a, env}).code).toBe(0)
    expect(existsSync(join(a, 'ran.txt'))).toBe(true)
    const b = folderWith(file)
    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: b, env})
    expect(plan.stderr).toBe('')
    expect(plan.code).toBe(0)
    expect(compctl(['apply', '--auto-approve'], {cwd: b, env}).code).toBe(0)
    expect(existsSync(join(b, 'ran.txt'))).toBe(false)
    // --instance picks another state of the project: there the change has not run.
    expect(compctl(['plan', '--detailed-exitcode', '--instance', 'ci-2'], {cwd: b, env}).code).toBe(2)
    // A plan saved with --instance names its instance: applying it needs no flag.
    expect(compctl(['plan', '--instance', 'ci-2', '--out', 'plan.json'], {cwd: b, env}).code).toBe(0)
    expect(compctl(['apply', 'plan.json'], {cwd: b, env}).code).toBe(0)
    expect(existsSync(join(b, 'ran.txt'))).toBe(true)
    expect(stateIn(etcd().endpoint, p, 'ci-2').changes.migrate).toBeDefined()
    // Without the variable, the file's endpoints are used, and named.
    expect(compctl(['plan'], {cwd: b}).stderr).toContain('cannot use etcd at http://127.0.0.1:9 (settings.state.etcd.endpoints)')
  })

  it('two applies on one instance from two folders: the second fails at once, naming the first', async () => {
    const p = project()
    const file = etcdFile(etcd().endpoint, p, SLOW, 'shared')
    const a = folderWith(file)
    const b = folderWith(file)
    const first = compctlAsync(['apply', '--auto-approve'], {cwd: a})
    await waitFor(() => first.output().stdout.includes('[start.first] started'), 15_000, 'the first apply to begin')
    const began = Date.now()
    const second = compctl(['apply', '--auto-approve'], {cwd: b})
    expect(Date.now() - began).toBeLessThan(5000)
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`${etcd().endpoint}${PREFIX}/${p}/state-lock/shared: the state is locked: apply by`)
    expect(second.stderr).toContain(`pid ${first.child.pid}`)
    expect(second.stderr).toContain('compctl force-unlock ')
    expect(launchedProcesses(b)).toEqual([])
    expect((await first.done).code).toBe(0)
  })

  it('kill -9 of an apply holding the state lock: its lease expires within the TTL, and the next apply goes on', async () => {
    const p = project()
    const dir = folderWith(etcdFile(etcd().endpoint, p, SLOW, 'killed'))
    const lockKey = `${PREFIX}/${p}/state-lock/killed`
    const first = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => first.output().stdout.includes('[start.first] started'), 15_000, 'the first apply to begin')
    expect(etcdctl(etcd().endpoint, 'get', '--print-value-only', lockKey)).toContain(`"pid":${first.child.pid}`)
    first.child.kill('SIGKILL')
    await first.done
    // Nobody takes it over: etcd itself deletes the key once the 2s lease runs out.
    const killedAt = Date.now()
    await waitFor(() => etcdctl(etcd().endpoint, 'get', '--print-value-only', lockKey) === '', 10_000, 'the lease to expire')
    expect(Date.now() - killedAt).toBeLessThan(8000)
    const next = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(next.stderr).toBe('')
    expect(next.code).toBe(0)
    const state = stateIn(etcd().endpoint, p, 'killed')
    expect(state.components.first?.status).toBe('running')
    expect(state.components.second?.status).toBe('running')
  })

  it('supervise keeps its state in etcd too, under its lock, and status --all shows its host and apply time', async () => {
    const p = project()
    const dir = folderWith(etcdFile(etcd().endpoint, p, ONE_SLEEPER, 'supervised'))
    const supervising = compctlAsync(['supervise'], {cwd: dir})
    try {
      await waitFor(() => supervising.output().stdout.includes('[start.web] done'), 15_000, 'supervise to start web')
      expect(etcdctl(etcd().endpoint, 'get', '--print-value-only', `${PREFIX}/${p}/state-lock/supervised`)).toContain('"operation":"supervise"')
      const report = JSON.parse(compctl(['status', '--all', '--json'], {cwd: dir}).stdout) as FleetReport
      expect(report.instances).toEqual([expect.objectContaining({instance: 'supervised', host: hostname(), running: 1, declared: 1})])
      expect(report.instances[0]!.lastApply).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect(report.instances[0]!.lock?.operation).toBe('supervise')
    } finally {
      supervising.child.kill('SIGTERM')
    }
    expect((await supervising.done).code).toBe(0)
    expect(etcdctl(etcd().endpoint, 'get', '--print-value-only', `${PREFIX}/${p}/state-lock/supervised`)).toBe('')
  })

  it('an unreachable etcd at start: one line naming the endpoints, nothing started', () => {
    const dir = folderWith(etcdFile('http://127.0.0.1:9', project(), ONE_SLEEPER))
    for (const args of [['plan'], ['apply', '--auto-approve'], ['status'], ['status', '--all']]) {
      const result = compctl(args, {cwd: dir})
      expect(result.code).toBe(1)
      const lines = result.stderr.trim().split('\n')
      expect(lines[0]).toMatch(/^cannot use etcd at http:\/\/127\.0\.0\.1:9 \(settings\.state\.etcd\.endpoints\): /)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
    expect(launchedProcesses(dir)).toEqual([])
  })

  describe('etcd lost in the middle of an apply (an etcd of its own)', () => {
    let etcd: EtcdServer | undefined
    beforeAll(async () => {
      etcd = await startEtcd()
    })
    afterAll(async () => {
      await etcd?.stop()
    })

    it('no new step starts, a launch that cannot be recorded is stopped, exit 1 with one line; with etcd back, the next apply converges', async () => {
      const p = `lost-${randomBytes(4).toString('hex')}`
      // `second`'s preStart hook kills etcd between its journaled intent and its launch.
      const body = `components:
  first:
    priority: 10
    command: ["sleep", "300"]
  second:
    dependsOn: [first]
    command: ["sleep", "301"]
    hooks:
      preStart: "kill -9 ${etcd!.pid}; sleep 0.5"
  third:
    dependsOn: [first]
    command: ["sleep", "302"]
`
      const dir = folderWith(etcdFile(etcd!.endpoint, p, body, 'lost'))
      // One step at a time: \`third\` (independent of \`second\`) waits for the slot \`second\` holds.
      const result = compctl(['apply', '--auto-approve', '--parallelism', '1'], {cwd: dir, timeoutMs: 120_000})
      expect(result.code).toBe(1)
      const errorLines = result.stderr.trim().split('\n').filter((line) => line.startsWith('apply stopped: '))
      expect(errorLines).toHaveLength(1)
      expect(errorLines[0]).toContain(`cannot use etcd at ${etcd!.endpoint}`)
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.stdout).toMatch(/\[start\.third\] skipped: the state can no longer be recorded/)
      // Only `first`, recorded before etcd went away, still runs; `second`'s process was stopped.
      const left = launchedProcesses(dir)
      expect(left).toHaveLength(1)
      expect(result.stdout).toMatch(/stopped pid \d+ again: its launch could not be recorded/)

      await etcd!.restart()
      const recorded = stateIn(etcd!.endpoint, p, 'lost')
      expect(isAlive(recorded.components.first?.pid)).toBe(true)
      expect(recorded.components.second?.pending).toBeDefined()
      // The hook no longer kills etcd on the second run.
      writeFileSync(join(dir, 'compctl.yaml'), etcdFile(etcd!.endpoint, p, body.replace(/kill -9 \d+; /, ''), 'lost'))
      const next = compctl(['apply', '--auto-approve'], {cwd: dir, timeoutMs: 120_000})
      // The stopped apply's lock may outlive etcd's restart until its lease runs out: taken over, and said so.
      expect(next.stderr.replace(/^Took over the state lock .*: that process is gone\.\n/, '')).toBe('')
      expect(next.code).toBe(0)
      const converged = stateIn(etcd!.endpoint, p, 'lost')
      expect(Object.values(converged.components).map((c) => c.status)).toEqual(['running', 'running', 'running'])
      expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
    })
  })
})

const MODULE_LOG_HOOK = pathToFileURL(join(ROOT, 'test/helpers/module-log.mjs')).href
const ETCD3 = /\/node_modules\/etcd3\//

/** The modules `compctl ARGS` loaded in `cwd`, recorded by test/helpers/module-log.mjs. */
function modulesLoadedBy(args: string[], cwd: string): {code: number | null; modules: string[]} {
  const logDir = mkdtempSync(join(tmpdir(), 'compctl-modules-'))
  try {
    const log = join(logDir, 'modules.log')
    const result = compctl(args, {cwd, env: {NODE_OPTIONS: `--import=${MODULE_LOG_HOOK}`, COMPCTL_MODULE_LOG: log}})
    return {code: result.code, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean)}
  } finally {
    rmSync(logDir, {recursive: true, force: true})
  }
}

describe('etcd3 (the gRPC client) is never loaded by the state backends', () => {
  for (const args of [['plan'], ['status'], ['status', '--all']])
    it(`\`compctl ${args.join(' ')}\` with the file backend does not load etcd3`, () => {
      const {code, modules} = modulesLoadedBy(args, folderWith(`version: 1\n${ONE_SLEEPER}`))
      expect(code).toBe(0)
      expect(modules.some((url) => url.endsWith('/dist/main.cjs'))).toBe(true)
      expect(modules.filter((url) => ETCD3.test(url))).toEqual([])
    })

  describeWithEtcd('with etcd', (etcd) => {
    it('the etcd state backend does not load etcd3 either: it speaks to etcd over HTTP', () => {
      const dir = folderWith(etcdFile(etcd().endpoint, `mods-${randomBytes(4).toString('hex')}`, ONE_SLEEPER))
      for (const args of [['plan'], ['status', '--all']]) {
        const {code, modules} = modulesLoadedBy(args, dir)
        expect(code).toBe(0)
        expect(modules.filter((url) => ETCD3.test(url))).toEqual([])
      }
    })

    it('an apply that takes an etcd named lock loads etcd3 (the checks above can fail)', () => {
      const body = `locks:\n  restart: {}\ncomponents:\n  web:\n    command: ["sleep", "300"]\n    lock: restart\n`
      const dir = folderWith(`version: 1\nsettings:\n  locks:\n    backend: etcd\n    etcd: { endpoints: ["${etcd().endpoint}"], prefix: ${PREFIX} }\n${body}`)
      const {code, modules} = modulesLoadedBy(['apply', '--auto-approve'], dir)
      expect(code).toBe(0)
      expect(modules.filter((url) => ETCD3.test(url)).length).toBeGreaterThan(0)
    })
  })
})

describe('status --all with the file backend', () => {
  it('lists the one instance: named by settings.instance, with its host, serial and components', () => {
    const dir = folderWith(`version: 1\nsettings:\n  instance: solo\n${ONE_SLEEPER}`)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const result = compctl(['status', '--all', '--json'], {cwd: dir})
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout) as FleetReport
    const state = JSON.parse(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')) as CompctlState
    expect(report.location).toBe(join(dir, 'state/compctl.state.json'))
    expect(report.instances).toEqual([
      expect.objectContaining({instance: 'solo', host: hostname(), serial: state.serial, running: 1, declared: 1, lock: null}),
    ])
  })
})
