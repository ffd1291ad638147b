import {spawnSync} from 'node:child_process'
import {appendFileSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadConfigOrThrow} from '../../src/config/load.js'
import validatePlan from '../../src/model/generated/validate-plan.js'
import type {CompctlPlan} from '../../src/model/generated/plan.js'
import type {CompctlState, ComponentState} from '../../src/model/generated/state.js'
import {hashWatched} from '../../src/services/plan-service.js'
import {FileStateStore} from '../../src/state/store.js'
import {specHash} from '../../src/util/canonical.js'
import {BIN, compctl, ROOT, startSleeper, tempProject, type Sleeper} from '../helpers/cli.js'

const ESC = '\u001b['
const DNS = ['msgq', 'cfgmgr', 'auth', 'resolver', 'stats']



/**
 * The dns example as apply would leave it: every component recorded running (a live `sleep` of
 * ours), with the spec hash and watched-file hashes of the file as it is, so the plan is empty.
 */
async function runningDns(dir: string): Promise<{state: CompctlState; sleepers: Record<string, Sleeper>}> {
  const config = await loadConfigOrThrow(join(dir, 'compctl.yaml'))
  const watched = await hashWatched(config)
  const sleepers: Record<string, Sleeper> = {}
  const components: Record<string, ComponentState> = {}
  for (const name of DNS) {
    const spec = config.spec.components![name]!
    const sleeper = await startSleeper()
    sleepers[name] = sleeper
    components[name] = {
      spec: spec as unknown as Record<string, unknown>,
      specHash: specHash(spec),
      status: 'running',
      pid: sleeper.pid,
      startTime: sleeper.startTime,
      startedAt: new Date().toISOString(),
      restarts: 0,
      lastError: null,
      ...(watched[name] ? {watched: watched[name]} : {}),
    }
  }
  const state = await new FileStateStore(config.stateDir).write({version: 1, lineage: 'e2e-lineage', serial: 0, project: 'dns', components, changes: {}, appliedPlans: []})
  return {state, sleepers}
}

const parsePlan = (text: string): CompctlPlan => JSON.parse(text) as CompctlPlan

/** A copy of the dns example, without any state someone left in examples/dns by running it there. */
function dnsProject(): string {
  const dir = tempProject('dns')
  rmSync(join(dir, 'state'), {recursive: true, force: true})
  return dir
}

describe('compctl plan', () => {
  it('prints the plan as text: steps in order, reasons, waits and a summary', () => {
    const dir = dnsProject()
    const r = compctl(['plan'], {cwd: dir})
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const heads = r.stdout.split('\n').filter((l) => /^ {2}[-+~>] /.test(l))
    expect(heads).toEqual([
      '  + start msgq  (core, priority 200)',
      '  + start cfgmgr  (needed, priority 150)',
      '  + start auth  (needed, priority 100)  lock: restart',
      '  + start resolver  (dispensable, priority 50)  lock: restart',
      '  + start stats  (dispensable, priority 10)',
    ])
    expect(r.stdout).toContain('      new component\n      waits for: start.msgq\n')
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Plan: 5 to start.')
    expect(r.stdout).not.toContain(ESC)
  })

  it('--json prints a plan valid against schemas/plan.schema.json', () => {
    const dir = dnsProject()
    const r = compctl(['plan', '--json'], {cwd: dir})
    expect(r.code).toBe(0)
    const plan = parsePlan(r.stdout)
    expect(validatePlan(plan)).toBe(true)
    expect(plan.options).toEqual({destroy: false, targets: [], replace: [], refresh: true})
    expect(plan.steps.map((s) => s.id)).toEqual(DNS.map((n) => `start.${n}`))
    expect(plan.source.file).toBe(join(dir, 'compctl.yaml'))
  })

  it('--format markdown prints a table for a pull request', () => {
    const dir = dnsProject()
    const r = compctl(['plan', '--format', 'markdown'], {cwd: dir})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('### compctl plan: `dns`')
    expect(r.stdout).toContain('| 🟢 | start `auth` | needed | 100 | `restart` | `start.cfgmgr` | new component |')
  })

  it('--out saves the plan; show renders it as plan did, in every format', () => {
    const dir = dnsProject()
    const out = join(dir, 'saved.json')
    const saved = compctl(['plan', '--out', out], {cwd: dir})
    expect(saved.code).toBe(0)
    expect(saved.stderr).toContain(`Saved the plan to ${out}`)
    const plan = parsePlan(readFileSync(out, 'utf8'))
    expect(validatePlan(plan)).toBe(true)

    expect(compctl(['show', out], {cwd: dir}).stdout).toBe(saved.stdout)
    const json = compctl(['show', out, '--json'], {cwd: dir})
    expect(json.code).toBe(0)
    expect(parsePlan(json.stdout)).toEqual(plan)
    expect(parsePlan(compctl(['plan', '--json'], {cwd: dir}).stdout).id).toBe(plan.id)
    const markdown = compctl(['show', out, '--format', 'markdown'], {cwd: dir})
    expect(markdown.stdout).toBe(compctl(['plan', '--format', 'markdown'], {cwd: dir}).stdout)
  })

  it('--out to a folder that does not exist fails with the path, not a stack trace', () => {
    const dir = dnsProject()
    const r = compctl(['plan', '--out', join(dir, 'no/such/plan.json')], {cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(join(dir, 'no/such/plan.json'))
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /)
  })

  it('show refuses a file that is not a saved plan', () => {
    const dir = dnsProject()
    const r = compctl(['show', join(dir, 'compctl.yaml')], {cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('not a saved plan')
  })
})

describe('--detailed-exitcode', () => {
  it('exits 2 when the plan has steps', () => {
    const dir = dnsProject()
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(2)
  })

  it('exits 0 when everything recorded is running as the file says', async () => {
    const dir = dnsProject()
    await runningDns(dir)
    const r = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(r.stdout).toBe(`No changes. The running system matches ${join(dir, 'compctl.yaml')}.\n`)
    expect(r.code).toBe(0)
  })

  it('exits 1 on an error, and on an unknown flag (never 2)', () => {
    const dir = dnsProject()
    const missing = compctl(['plan', '--detailed-exitcode', '-f', 'nope.yaml'], {cwd: dir})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('nope.yaml: no such file')
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\ncomponents:\n  a: { command: [x], dependsOn: [b] }\n')
    const invalid = compctl(['plan', '--detailed-exitcode', '-f', 'bad.yaml'], {cwd: dir})
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('bad.yaml:3:')
    for (const args of [['plan', '--detailed-exitcode', '--bogus'], ['plan', '--bogus'], ['plan', '--format', 'yaml', '--detailed-exitcode']]) {
      const r = compctl(args, {cwd: dir})
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^compctl: /)
    }
  })
})

describe('refresh against real processes', () => {
  it('a recorded process that died is started again, saying why', async () => {
    const dir = dnsProject()
    const {sleepers} = await runningDns(dir)
    await sleepers.stats!.kill()
    const r = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stdout).toContain(`  + start stats  (dispensable, priority 10)\n      recorded running (pid ${sleepers.stats!.pid}) but the process is gone\n`)
    expect(r.stdout).toContain('Plan: 1 to start.')
  })

  it('a recorded pid whose start time differs is another process: started again', async () => {
    const dir = dnsProject()
    const {state} = await runningDns(dir)
    const store = new FileStateStore(join(dir, 'state'))
    const resolver = state.components.resolver!
    await store.write({...state, components: {...state.components, resolver: {...resolver, startTime: resolver.startTime! - 1}}})
    const r = compctl(['plan'], {cwd: dir})
    expect(r.stdout).toContain(`  + start resolver  (dispensable, priority 50)  lock: restart\n      recorded pid ${resolver.pid} now belongs to another process\n`)
  })

  it('--no-refresh trusts the state', async () => {
    const dir = dnsProject()
    const {sleepers} = await runningDns(dir)
    await sleepers.stats!.kill()
    const r = compctl(['plan', '--no-refresh', '--detailed-exitcode', '--json'], {cwd: dir})
    expect(r.code).toBe(0)
    expect(parsePlan(r.stdout).options.refresh).toBe(false)
  })

  it('an edited watched file reloads the component that has `reload`', async () => {
    const dir = dnsProject()
    await runningDns(dir)
    appendFileSync(join(dir, 'conf/auth.conf'), '\n# edited\n')
    const r = compctl(['plan'], {cwd: dir})
    expect(r.stdout).toContain('  ~ reload auth  (needed, priority 100)  lock: restart\n      watch:conf/auth.conf changed; reload with SIGHUP\n')
  })

  it('an edit of a none-impact field is an update that leaves the process alone', async () => {
    const dir = dnsProject()
    await runningDns(dir)
    const file = join(dir, 'compctl.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('priority: 10\n', 'priority: 11\n'))
    const plan = parsePlan(compctl(['plan', '--json'], {cwd: dir}).stdout)
    expect(plan.steps.map((s) => [s.id, s.lock, s.diff])).toEqual([['update.stats', null, [{path: 'priority', before: 10, after: 11, impact: 'none'}]]])
  })

  it('--destroy plans stopping everything, dependents first', async () => {
    const dir = dnsProject()
    const {sleepers} = await runningDns(dir)
    const r = compctl(['plan', '--destroy', '--json'], {cwd: dir})
    const plan = parsePlan(r.stdout)
    expect(validatePlan(plan)).toBe(true)
    expect(plan.steps.map((s) => s.id)).toEqual(['stop.stats', 'stop.resolver', 'stop.auth', 'stop.cfgmgr', 'stop.msgq'])
    expect(plan.steps.find((s) => s.name === 'auth')!.assumes).toMatchObject({pid: sleepers.auth!.pid, startTime: sleepers.auth!.startTime, status: 'running'})
    expect(compctl(['plan', '--destroy'], {cwd: dir}).stdout.trimEnd().split('\n').at(-1)).toBe('Plan: 5 to stop.')
  })

  it('--replace restarts a running component; --target limits to it and its dependencies', async () => {
    const dir = dnsProject()
    const {sleepers} = await runningDns(dir)
    await sleepers.msgq!.kill()
    await sleepers.resolver!.kill()
    const replaced = parsePlan(compctl(['plan', '--json', '--replace', 'stats'], {cwd: dir}).stdout)
    expect(replaced.steps.map((s) => s.id)).toEqual(['start.msgq', 'start.resolver', 'restart.stats'])
    const targeted = parsePlan(compctl(['plan', '--json', '--target', 'auth'], {cwd: dir}).stdout)
    expect(targeted.steps.map((s) => s.id)).toEqual(['start.msgq'])
  })

  it('a corrupt state is an error naming the backup, and is left as it was', async () => {
    const dir = dnsProject()
    const {state} = await runningDns(dir)
    const store = new FileStateStore(join(dir, 'state'))
    await store.write(state)
    writeFileSync(store.location, '{"version": 1,')
    const r = compctl(['plan'], {cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${store.location}: the state file is corrupt`)
    expect(r.stderr).toContain(`${store.location}.backup`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(readFileSync(store.location, 'utf8')).toBe('{"version": 1,')
  })
})

describe('names and colour', () => {
  it('--target and --replace with an unknown name exit 1 with a message', () => {
    const dir = dnsProject()
    for (const flag of ['--target', '--replace']) {
      const r = compctl(['plan', flag, 'nosuch', '--detailed-exitcode'], {cwd: dir})
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`${flag} nosuch: no component or change is called that in ${join(dir, 'compctl.yaml')}`)
      expect(r.stdout).toBe('')
    }
  })

  it('NO_COLOR and --no-color give no escape codes; FORCE_COLOR=1 and --color give some', () => {
    const dir = dnsProject()
    const run = (args: string[], env: Record<string, string | undefined>) => {
      const full = {...process.env, ...env}
      for (const [key, value] of Object.entries(env)) if (value === undefined) delete full[key]
      return spawnSync(process.execPath, [BIN, ...args], {cwd: dir, env: full, encoding: 'utf8'}).stdout
    }
    expect(run(['plan'], {NO_COLOR: '1', FORCE_COLOR: undefined})).not.toContain(ESC)
    expect(run(['plan', '--no-color'], {NO_COLOR: undefined, FORCE_COLOR: '1'})).not.toContain(ESC)
    expect(run(['plan'], {NO_COLOR: undefined, FORCE_COLOR: undefined})).not.toContain(ESC)
    const forced = run(['plan'], {NO_COLOR: undefined, FORCE_COLOR: '1'})
    expect(forced).toContain(ESC)
    expect(forced.replace(/\u001b\[[0-9;]*m/g, '')).toBe(run(['plan'], {NO_COLOR: '1', FORCE_COLOR: undefined}))
    expect(run(['plan', '--color'], {NO_COLOR: '1', FORCE_COLOR: undefined})).toContain(ESC)
  })
})

describe('compctl schema and validate', () => {
  it('schema prints the desired-state file schema as valid JSON', () => {
    const r = compctl(['schema'], {cwd: ROOT})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'schemas/compctl.schema.json'), 'utf8')))
    const plan = compctl(['schema', '--name', 'plan'], {cwd: ROOT})
    expect(JSON.parse(plan.stdout)).toEqual(JSON.parse(readFileSync(join(ROOT, 'schemas/plan.schema.json'), 'utf8')))
  })

  it('validate accepts the example and exits 0', () => {
    const dir = dnsProject()
    const r = compctl(['validate'], {cwd: dir})
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('compctl.yaml: valid (5 components, 0 changes, 1 lock)\n')
  })

  it('validate reports every problem as FILE:LINE:COL and exits 1', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\ncomponents:\n  a: { command: [x], dependsOn: [b] }\n  c: { command: [x], lock: nope }\n')
    const r = compctl(['validate'], {cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('compctl.yaml:3:34: components.a.dependsOn[0]: unknown name "b"')
    expect(r.stderr).toContain('compctl.yaml:4:28: components.c.lock: unknown lock "nope"')
    expect(r.stderr).toContain('2 problems in compctl.yaml.')
    const json = compctl(['validate', '--json'], {cwd: dir})
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout).valid).toBe(false)
  })

  it('validate, plan and apply show a warning on stderr and still exit 0; --json lists it apart', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\nchanges:\n  c:\n    vars: { user: ann }\n    apply: { run: [[sh, -c, "echo ${user}"]] }\n')
    const warning = 'compctl.yaml:5:29: changes.c.apply.run[0][2]: warning: ${user} is pasted into the script sh runs'
    const r = compctl(['validate'], {cwd: dir})
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(warning)
    expect(r.stdout).toBe('compctl.yaml: valid (0 components, 1 change, 0 locks); 1 warning\n')
    const json = JSON.parse(compctl(['validate', '--json'], {cwd: dir}).stdout)
    expect(json).toMatchObject({valid: true, problems: [], warnings: [{line: 5, col: 29, severity: 'warning'}]})
    const plan = compctl(['plan', '--json'], {cwd: dir})
    expect(plan.code).toBe(0)
    expect(plan.stderr).toContain(warning)
    expect(validatePlan(JSON.parse(plan.stdout))).toBe(true)
    const apply = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(apply.code, apply.stderr).toBe(0)
    expect(apply.stderr).toContain(warning)
  })
})
