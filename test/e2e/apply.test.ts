import {appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import validateEvent from '../../src/model/generated/validate-events.js'
import {compctl, compctlAsync, tempProject} from '../helpers/cli.js'
import {expectEveryLaunchTracked, isAlive, launchedProcesses, readState, waitFor} from '../helpers/state.js'

const apply = (dir: string, ...args: string[]) => compctl(['apply', '--auto-approve', ...args], {cwd: dir})

function project(yaml: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), yaml)
  return dir
}

const sleeper = (extra = '') => `command: ["sleep", "300"]\n${extra}`

describe('compctl apply on the example', () => {
  it('starts everything, records it, and then has nothing to do', () => {
    const dir = tempProject('dns')
    const result = apply(dir)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Apply complete in .*: 5 started/)
    const state = readState(dir)
    for (const name of ['msgq', 'cfgmgr', 'auth', 'resolver', 'stats']) {
      expect(state.components[name]?.status).toBe('running')
      expect(isAlive(state.components[name]?.pid)).toBe(true)
    }
    expect(readFileSync(join(dir, 'state/logs/msgq.log'), 'utf8')).toContain('msgq: started')
    const again = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(again.stdout).toContain('No changes')
    expect(again.code).toBe(0)
  })

  it('starts a component killed behind its back again', async () => {
    const dir = tempProject('dns')
    expect(apply(dir).code).toBe(0)
    const before = readState(dir).components.stats!.pid!
    process.kill(-before, 'SIGKILL')
    await waitFor(() => !isAlive(before), 5000, 'stats to die')
    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.code).toBe(2)
    expect(plan.stdout).toMatch(/\+ start stats[\s\S]*the process is gone/)
    expect(apply(dir).code).toBe(0)
    const after = readState(dir).components.stats!.pid!
    expect(after).not.toBe(before)
    expect(isAlive(after)).toBe(true)
  })

  it('restarts on a changed command, updates a changed priority in place, reloads on a watched file edit', () => {
    const dir = tempProject('dns')
    expect(apply(dir).code).toBe(0)
    const pids = Object.fromEntries(Object.entries(readState(dir).components).map(([n, c]) => [n, c.pid]))
    const yaml = readFileSync(join(dir, 'compctl.yaml'), 'utf8')
    writeFileSync(
      join(dir, 'compctl.yaml'),
      yaml.replace('command: [bin/daemon.sh, resolver]', 'command: [bin/daemon.sh, resolver, v2]').replace('priority: 10\n', 'priority: 20\n'),
    )
    appendFileSync(join(dir, 'conf/auth.conf'), 'notify yes\n')
    const plan = compctl(['plan'], {cwd: dir})
    expect(plan.stdout).toMatch(/~ restart resolver/)
    expect(plan.stdout).toMatch(/~ update stats/)
    expect(plan.stdout).toMatch(/~ reload auth/)
    const result = apply(dir)
    expect(result.code).toBe(0)
    const state = readState(dir)
    expect(state.components.resolver!.pid).not.toBe(pids.resolver)
    expect(isAlive(state.components.resolver!.pid)).toBe(true)
    expect(state.components.stats!.pid).toBe(pids.stats)
    expect((state.components.stats!.spec as {priority: number}).priority).toBe(20)
    expect(state.components.auth!.pid).toBe(pids.auth)
    expect(readFileSync(join(dir, 'state/logs/auth.log'), 'utf8')).toContain('auth: reloading configuration')
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
  })

  it('streams NDJSON events that follow schemas/events.schema.json, the summary last', () => {
    const dir = tempProject('dns')
    const result = apply(dir, '--json')
    expect(result.code).toBe(0)
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {type: string})
    for (const event of events) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true)
    expect(events[0]!.type).toBe('plan')
    expect(events.at(-1)!.type).toBe('summary')
    expect(events.filter((e) => e.type === 'step_done')).toHaveLength(5)
  })

  it('destroy stops everything and empties the state', () => {
    const dir = tempProject('dns')
    expect(apply(dir).code).toBe(0)
    const pids = Object.values(readState(dir).components).map((c) => c.pid)
    const result = compctl(['destroy', '--auto-approve'], {cwd: dir})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Destroy complete in .*: 0 started, 5 stopped/)
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(readState(dir).components).toEqual({})
  })
})

describe('confirmation', () => {
  it('without a terminal and without --auto-approve, refuses and says so', () => {
    const dir = tempProject('dns')
    const result = compctl(['apply'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/no terminal to ask for confirmation/)
    expect(result.stderr).toMatch(/--auto-approve/)
  })
})

describe('kinds', () => {
  it('a core component that fails to start brings the system down', () => {
    const dir = project(`version: 1
components:
  bus:
    kind: core
    priority: 100
    command: ["sleep", "300"]
  api:
    kind: needed
    dependsOn: [bus]
    command: ["sleep", "300"]
`)
    expect(apply(dir).code).toBe(0)
    const running = readState(dir).components
    writeFileSync(
      join(dir, 'compctl.yaml'),
      readFileSync(join(dir, 'compctl.yaml'), 'utf8').replace(
        'priority: 100\n    command: ["sleep", "300"]',
        // `after` makes the failure certain: without a probe a process that exits at once may still count as started.
        'priority: 100\n    command: "echo broken; exit 3"\n    ready: { after: 1s }',
      ),
    )
    const result = apply(dir)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/system down: core component bus failed to start/)
    expect(result.stdout).toMatch(/exited with code 3|code 3/)
    const state = readState(dir)
    expect(isAlive(running.api!.pid)).toBe(false)
    expect(state.components.api!.status).toBe('stopped')
    expect(state.components.api!.lastError).toMatch(/system brought down/)
    expect(state.components.bus!.status).toBe('failed')
  })

  it('a needed component is retried, then brings the system down', () => {
    const dir = project(`version: 1
components:
  db:
    kind: core
    command: ["sleep", "300"]
  cfg:
    kind: needed
    dependsOn: [db]
    command: "echo attempt >> attempts.txt; exit 1"
    ready: { after: 500ms }
    restart: { retries: 2, backoff: 100ms }
`)
    const result = apply(dir)
    expect(result.code).toBe(1)
    expect(readFileSync(join(dir, 'attempts.txt'), 'utf8').trim().split('\n')).toHaveLength(3)
    expect(result.stdout).toMatch(/system down: needed component cfg failed to start/)
    const state = readState(dir)
    expect(state.components.db!.status).toBe('stopped')
    expect(isAlive(state.components.db!.pid)).toBe(false)
    expect(state.components.cfg!.restarts).toBe(2)
  })

  it('a dispensable failure skips only what depends on it', () => {
    const dir = project(`version: 1
components:
  flaky:
    kind: dispensable
    command: "exit 1"
    ready: { after: 500ms }
    restart: { retries: 1, backoff: 50ms }
  child:
    dependsOn: [flaky]
    ${sleeper()}
  other:
    ${sleeper()}
`)
    const result = apply(dir)
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/\[start\.child\] skipped: waits for start\.flaky, which failed/)
    const state = readState(dir)
    expect(state.components.flaky!.status).toBe('failed')
    expect(state.components.child).toBeUndefined()
    expect(state.components.other!.status).toBe('running')
    expect(isAlive(state.components.other!.pid)).toBe(true)
    expect(compctl(['plan'], {cwd: dir}).stdout).toMatch(/\+ start flaky[\s\S]*last start failed/)
  })
})

describe('state lock and interrupts', () => {
  const slow = `version: 1
components:
  first:
    priority: 10
    command: ["sleep", "300"]
    ready: { after: 2s }
  second:
    dependsOn: [first]
    command: ["sleep", "300"]
    ready: { after: 2s }
`

  it('a second apply fails at once naming the holder', async () => {
    const dir = project(slow)
    const running = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => running.output().stdout.includes('[start.first] started'), 10_000, 'the first apply to begin')
    const began = Date.now()
    const second = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(Date.now() - began).toBeLessThan(5000)
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(String(running.child.pid))
    expect(second.stderr).toMatch(/apply/)
    expect((await running.done).code).toBe(0)
  })

  it('SIGINT lets the running step finish, starts nothing new, saves the state, exits 130', async () => {
    const dir = project(slow)
    const running = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => running.output().stdout.includes('[start.first] started'), 10_000, 'the first step')
    running.child.kill('SIGINT')
    const result = await running.done
    expect(result.code).toBe(130)
    expect(result.stdout).toMatch(/stopping: waiting for 1 running step/)
    expect(result.stdout).toMatch(/\[start\.first\] done/)
    expect(result.stdout).toMatch(/\[start\.second\] skipped: interrupted/)
    const state = readState(dir)
    expect(state.components.first!.status).toBe('running')
    expect(isAlive(state.components.first!.pid)).toBe(true)
    expect(state.components.second).toBeUndefined()
  })

  it('a second SIGINT kills the running steps: no process is left half-started, exit 130', async () => {
    const dir = project(`version: 1
components:
  slow:
    command: ["sleep", "300"]
    ready: { after: 60s, timeout: 90s }
`)
    const running = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => running.output().stdout.includes('waiting until ready'), 10_000, 'the start to launch')
    const pid = readState(dir).components.slow!.pid!
    running.child.kill('SIGINT')
    await waitFor(() => running.output().stdout.includes('Ctrl-C again'), 5000, 'the first interrupt')
    running.child.kill('SIGINT')
    const began = Date.now()
    const result = await running.done
    expect(Date.now() - began).toBeLessThan(15_000)
    expect(result.code).toBe(130)
    expect(isAlive(pid)).toBe(false)
    const state = readState(dir)
    expect(state.components.slow!.status).toBe('stopped')
    expect(state.components.slow!.pending).toBeUndefined()
  })
})

describe('saved plans', () => {
  it('runs a saved plan as written, once', () => {
    const dir = tempProject('dns')
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: dir}).code).toBe(0)
    const first = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(first.code).toBe(0)
    const again = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/stale/)
  })

  it('refuses a plan whose steps touch something that changed, naming it, and runs nothing', () => {
    const dir = tempProject('dns')
    expect(apply(dir).code).toBe(0)
    writeFileSync(join(dir, 'compctl.yaml'), readFileSync(join(dir, 'compctl.yaml'), 'utf8').replace('priority: 10\n', 'priority: 11\n'))
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: dir}).code).toBe(0)
    const statsPid = readState(dir).components.stats!.pid!
    process.kill(-statsPid, 'SIGKILL')
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const serial = readState(dir).serial
    const stale = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/update\.stats: pid was \d+ when planned, now \d+/)
    expect(readState(dir).serial).toBe(serial)
  })

  it('a plan refused because etcd is unreachable runs nothing and can be applied once etcd answers', () => {
    const dir = project(`version: 1
settings:
  locks: { backend: etcd, etcd: { endpoints: ["http://127.0.0.1:9"] } }
locks:
  restart: { holders: 1 }
components:
  web:
    command: ["sleep", "300"]
    lock: restart
`)
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: dir}).code).toBe(0)
    const refused = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('127.0.0.1:9')
    expect(refused.stderr).not.toMatch(/^\s+at /m)
    expect(launchedProcesses(dir)).toEqual([])
    const again = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(again.stderr).not.toMatch(/already applied/)
  })

  it('an unrelated apply in between does not make a saved plan stale', () => {
    const dir = tempProject('dns')
    expect(apply(dir).code).toBe(0)
    writeFileSync(join(dir, 'compctl.yaml'), readFileSync(join(dir, 'compctl.yaml'), 'utf8').replace('priority: 10\n', 'priority: 11\n'))
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: dir}).code).toBe(0)
    process.kill(-readState(dir).components.resolver!.pid!, 'SIGKILL')
    expect(compctl(['apply', '--auto-approve', '--target', 'resolver'], {cwd: dir}).code).toBe(0)
    const result = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect((readState(dir).components.stats!.spec as {priority: number}).priority).toBe(11)
  })
})

describe('crash safety', () => {
  it('kill -9 of compctl at 20 random moments never loses a process or tears the state', async () => {
    const dir = tempProject('dns')
    for (let round = 0; round < 20; round++) {
      const running = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 1100)))
      running.child.kill('SIGKILL')
      await running.done
      expectEveryLaunchTracked(dir, round)
      if (!existsSync(join(dir, 'state/compctl.state.json'))) continue
      if (round % 4 === 3) {
        const converge = apply(dir)
        expect(converge.code, converge.stdout + converge.stderr).toBe(0)
        expect(launchedProcesses(dir)).toHaveLength(5)
      }
    }
    const final = apply(dir)
    expect(final.code, final.stdout + final.stderr).toBe(0)
    const live = launchedProcesses(dir)
    expect(live).toHaveLength(5)
    const state = readState(dir)
    expect(new Set(live.map((p) => p.pid))).toEqual(new Set(Object.values(state.components).map((c) => c.pid)))
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
    // What the killed runs left half-done (temporaries, lock files) is cleared by the runs after them.
    expect(readdirSync(join(dir, 'state')).sort()).toEqual(['compctl.state.json', 'compctl.state.json.backup', 'logs'])
  })
})
