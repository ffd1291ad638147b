import {describe, expect, it} from 'vitest'
import type {Change, Component} from '../../src/model/generated/compctl.js'
import {batchesOf, buildPlan} from '../../src/planner/plan.js'
import {canonicalJson, sha256, specHash} from '../../src/util/canonical.js'
import {change, component, ids, input, plan, ran, running, state, step} from './fixtures.js'

/** BIND 10's boss, as a compctl file: the components of its configurator tests. */
const bind10 = (): Record<string, Component> => ({
  resolver: component({kind: 'dispensable', command: ['b10-resolver']}),
  auth: component({kind: 'needed', priority: 10, command: ['b10-auth']}),
  cfgmgr: component({kind: 'core', priority: 198, command: ['b10-cfgmgr']}),
  msgq: component({kind: 'core', priority: 199, command: ['b10-msgq']}),
  sockcreator: component({kind: 'core', priority: 200, command: ['b10-sockcreator']}),
})

const runningAll = (components: Record<string, Component>) =>
  state(Object.fromEntries(Object.entries(components).map(([name, spec], i) => [name, running(spec, 100 + i)])))

describe('BIND 10 configurator plans', () => {
  it('startup from nothing starts every component, highest priority first', () => {
    const p = plan({components: bind10()})
    expect(ids(p)).toEqual(['start.sockcreator', 'start.msgq', 'start.cfgmgr', 'start.auth', 'start.resolver'])
    expect(p.steps.map((s) => s.kind)).toEqual(['core', 'core', 'core', 'needed', 'dispensable'])
    expect(p.steps.every((s) => s.reason === 'new component')).toBe(true)
    expect(p.summary).toEqual({start: 5, stop: 0, restart: 0, reload: 0, update: 0, change: 0, total: 5})
    expect(p.lineage).toBeNull()
  })

  it('a running component removed from the file is stopped', () => {
    const all = bind10()
    const {resolver: _removed, ...rest} = all
    const p = plan({components: rest, state: runningAll(all)})
    expect(ids(p)).toEqual(['stop.resolver'])
    expect(step(p, 'resolver').reason).toBe('removed from the file')
    expect(step(p, 'resolver').spec).toEqual(all.resolver)
  })

  it('the same configuration again plans nothing', () => {
    const p = plan({components: bind10(), state: runningAll(bind10())})
    expect(p.steps).toEqual([])
    expect(p.summary.total).toBe(0)
    expect(p.lineage).toBe('lineage-1')
  })

  it('shutdown (--destroy) stops every component, lowest priority first', () => {
    const p = plan({components: bind10(), state: runningAll(bind10()), options: {destroy: true}})
    expect(ids(p)).toEqual(['stop.resolver', 'stop.auth', 'stop.cfgmgr', 'stop.msgq', 'stop.sockcreator'])
    expect(p.steps.every((s) => s.reason === 'destroy')).toBe(true)
  })
})

describe('changing a running component (BIND 10 raised NotImplementedError)', () => {
  const base = component({
    kind: 'needed',
    priority: 5,
    command: ['auth', '--port', '53'],
    env: {LOG_LEVEL: 'info'},
    ready: {tcp: '127.0.0.1:53'},
  })
  const cases: Array<[string, Partial<Component>, 'restart' | 'update']> = [
    ['command', {command: ['auth', '--port', '5353']}, 'restart'],
    ['env', {env: {LOG_LEVEL: 'debug'}}, 'restart'],
    ['cwd', {cwd: '/srv'}, 'restart'],
    ['priority', {priority: 6}, 'update'],
    ['kind', {kind: 'core'}, 'update'],
    ['ready', {ready: {tcp: '127.0.0.1:54'}}, 'update'],
    ['lock', {lock: 'restart'}, 'update'],
    ['description', {description: 'the authoritative server'}, 'update'],
  ]
  for (const [field, edit, action] of cases) {
    it(`${field} → ${action}`, () => {
      const desired = {...base, ...edit}
      const recorded = state({auth: running(base, 42)})
      const p = plan({components: {auth: desired}, locks: {restart: {holders: 1}}, state: recorded})
      expect(ids(p)).toEqual([`${action}.auth`])
      const s = step(p, 'auth')
      expect(s.diff.map((d) => d.path.split('.')[0])).toContain(field)
      expect(s.specHash).toBe(specHash(desired))
      expect(s.assumes).toMatchObject({specHash: specHash(base), pid: 42, startTime: 1042, status: 'running'})
      if (action === 'update') {
        expect(s.reason).toMatch(/left alone/)
        expect(s.lock).toBeNull()
        expect(s.diff.every((d) => d.impact === 'none')).toBe(true)
      } else {
        expect(s.reason).toBe(`${field} changed`)
        expect(s.diff.some((d) => d.impact === 'restart')).toBe(true)
      }
    })
  }

  it('a restart field and a none field together restart, listing both', () => {
    const p = plan({components: {auth: {...base, priority: 9, env: {LOG_LEVEL: 'warn'}}}, state: state({auth: running(base, 42)})})
    expect(ids(p)).toEqual(['restart.auth'])
    expect(step(p, 'auth').reason).toBe('env, priority changed')
  })

  const watching = component({command: ['auth'], watch: ['conf/auth.conf'], reload: {signal: 'SIGUSR1'}})
  const {reload: _none, ...noReload} = watching

  it('a watched file whose content changed is reloaded when `reload` is set', () => {
    const recorded = state({auth: running(watching, 42, {watched: {'conf/auth.conf': 'sha256:old'}})})
    const p = plan({components: {auth: watching}, state: recorded, watched: {auth: {'conf/auth.conf': 'sha256:new'}}})
    expect(ids(p)).toEqual(['reload.auth'])
    const s = step(p, 'auth')
    expect(s.reason).toMatch(/SIGUSR1/)
    expect(s.diff).toEqual([{path: 'watch:conf/auth.conf', before: 'sha256:old', after: 'sha256:new', impact: 'reload'}])
    expect(s.assumes.watched).toEqual({'conf/auth.conf': 'sha256:new'})
  })

  it('a watched file whose content changed restarts a component without `reload`', () => {
    const recorded = state({auth: running(noReload, 42, {watched: {'conf/auth.conf': 'sha256:old'}})})
    const p = plan({components: {auth: noReload}, state: recorded, watched: {auth: {'conf/auth.conf': 'sha256:new'}}})
    expect(ids(p)).toEqual(['restart.auth'])
    expect(step(p, 'auth').reason).toMatch(/no `reload` is configured/)
  })

  it('a watched file that went missing shows as (missing)', () => {
    const recorded = state({auth: running(watching, 42, {watched: {'conf/auth.conf': 'sha256:old'}})})
    const p = plan({components: {auth: watching}, state: recorded, watched: {auth: {'conf/auth.conf': null}}})
    expect(step(p, 'auth').diff).toEqual([{path: 'watch:conf/auth.conf', before: 'sha256:old', after: '(missing)', impact: 'reload'}])
  })

  it('unchanged watched files plan nothing', () => {
    const recorded = state({auth: running(watching, 42, {watched: {'conf/auth.conf': 'sha256:same'}})})
    expect(plan({components: {auth: watching}, state: recorded, watched: {auth: {'conf/auth.conf': 'sha256:same'}}}).steps).toEqual([])
  })
})

describe('refresh: what the recorded processes turned out to be', () => {
  const web = component({command: ['web']})

  it('recorded running but dead (drift) → start, saying why', () => {
    const p = plan({components: {web}, state: state({web: running(web, 42)}), observed: {web: {alive: false, sameProcess: false}}})
    expect(ids(p)).toEqual(['start.web'])
    expect(step(p, 'web').reason).toBe('recorded running (pid 42) but the process is gone')
  })

  it('drift with a changed spec says both', () => {
    const p = plan({components: {web: {...web, env: {A: '1'}}}, state: state({web: running(web, 42)}), observed: {web: {alive: false, sameProcess: false}}})
    expect(ids(p)).toEqual(['start.web'])
    expect(step(p, 'web').reason).toBe('recorded running (pid 42) but the process is gone; spec changed: env')
  })

  it('pid reused by another process → start', () => {
    const p = plan({components: {web}, state: state({web: running(web, 42)}), observed: {web: {alive: true, sameProcess: false}}})
    expect(ids(p)).toEqual(['start.web'])
    expect(step(p, 'web').reason).toBe('recorded pid 42 now belongs to another process')
  })

  it('recorded failed → start, with the last error in the reason', () => {
    const recorded = state({web: running(web, 42, {status: 'failed', pid: null, lastError: 'exited with code 3 before ready'})})
    const p = plan({components: {web}, state: recorded})
    expect(ids(p)).toEqual(['start.web'])
    expect(step(p, 'web').reason).toBe('last start failed: exited with code 3 before ready')
  })

  it('interrupted (pending) and still alive → restart to a known state', () => {
    const pending = {action: 'start', stepId: 'start.web', since: '2026-01-01T00:00:00Z'}
    const p = plan({components: {web}, state: state({web: running(web, 42, {status: 'starting', pending})})})
    expect(ids(p)).toEqual(['restart.web'])
    expect(step(p, 'web').reason).toBe('interrupted during start (2026-01-01T00:00:00Z); restarting to a known state')
  })

  it('interrupted (pending) and dead → start', () => {
    const pending = {action: 'restart', stepId: 'restart.web', since: '2026-01-01T00:00:00Z'}
    const recorded = state({web: running(web, 42, {pending})})
    const p = plan({components: {web}, state: recorded, observed: {web: {alive: false, sameProcess: false}}})
    expect(ids(p)).toEqual(['start.web'])
    expect(step(p, 'web').reason).toMatch(/^interrupted during restart .*; not running$/)
  })

  it('--no-refresh trusts the state: a dead process recorded running plans nothing', () => {
    const dead = {web: {alive: false, sameProcess: false}}
    const recorded = state({web: running(web, 42)})
    expect(plan({components: {web}, state: recorded, observed: dead, options: {refresh: false}}).steps).toEqual([])
    expect(ids(plan({components: {web}, state: recorded, observed: dead, options: {refresh: true}}))).toEqual(['start.web'])
  })

  it('a removed component that is not running is stopped only to forget it', () => {
    const p = plan({components: {}, state: state({web: running(web, 42)}), observed: {web: {alive: false, sameProcess: false}}})
    expect(ids(p)).toEqual(['stop.web'])
    expect(step(p, 'web').reason).toBe('removed from the file; recorded running (pid 42) but the process is gone, so this only forgets it')
  })
})

describe('--destroy, --target, --replace', () => {
  // msgq ← cfgmgr ← {auth, resolver}; stats ← msgq; lonely stands alone.
  const dns = (): Record<string, Component> => ({
    msgq: component({kind: 'core', priority: 200}),
    cfgmgr: component({kind: 'needed', priority: 150, dependsOn: ['msgq']}),
    auth: component({kind: 'needed', priority: 100, dependsOn: ['cfgmgr'], lock: 'restart'}),
    resolver: component({priority: 50, dependsOn: ['cfgmgr']}),
    stats: component({priority: 10, dependsOn: ['msgq']}),
    lonely: component({priority: 300}),
  })
  const locks = {restart: {holders: 1}}

  it('destroy stops everything: dependents first, lowest priority first among the free ones', () => {
    const p = plan({components: dns(), locks, state: runningAll(dns()), options: {destroy: true}})
    expect(ids(p)).toEqual(['stop.stats', 'stop.resolver', 'stop.auth', 'stop.cfgmgr', 'stop.msgq', 'stop.lonely'])
    expect(step(p, 'cfgmgr').waitsFor).toEqual(['stop.resolver', 'stop.auth'])
    expect(step(p, 'msgq').waitsFor).toEqual(['stop.stats', 'stop.cfgmgr'])
    expect(step(p, 'lonely').waitsFor).toEqual([])
    expect(step(p, 'auth').lock).toBe('restart')
    expect(p.options.destroy).toBe(true)
  })

  it('destroy of a state whose recorded dependencies form a cycle still plans, waiting only on earlier steps', () => {
    const recorded = state({a: running(component({dependsOn: ['b']}), 1), b: running(component({dependsOn: ['a']}), 2)})
    const p = plan({components: {}, state: recorded, options: {destroy: true}})
    expect(ids(p)).toEqual(['stop.a', 'stop.b'])
    expect(step(p, 'a').waitsFor).toEqual([])
    expect(step(p, 'b').waitsFor).toEqual(['stop.a'])
  })

  it('--target NAME keeps NAME and what it depends on', () => {
    const p = plan({components: dns(), locks, options: {targets: ['auth']}})
    expect(ids(p)).toEqual(['start.msgq', 'start.cfgmgr', 'start.auth'])
    expect(p.options.targets).toEqual(['auth'])
  })

  it('--target looks through dependencies that have no step', () => {
    const components = dns()
    const recorded = runningAll(components)
    const p = plan({components, locks, state: recorded, observed: {msgq: {alive: false, sameProcess: false}, auth: {alive: false, sameProcess: false}}, options: {targets: ['auth']}})
    expect(ids(p)).toEqual(['start.msgq', 'start.auth'])
    expect(step(p, 'auth').waitsFor).toEqual(['start.msgq'])
  })

  it('--destroy --target NAME stops NAME and what depends on it, nothing else', () => {
    const p = plan({components: dns(), locks, state: runningAll(dns()), options: {destroy: true, targets: ['cfgmgr']}})
    expect(ids(p)).toEqual(['stop.resolver', 'stop.auth', 'stop.cfgmgr'])
  })

  it('--replace NAME restarts a running, unchanged component', () => {
    const p = plan({components: dns(), locks, state: runningAll(dns()), options: {replace: ['resolver']}})
    expect(ids(p)).toEqual(['restart.resolver'])
    expect(step(p, 'resolver').reason).toBe('forced by --replace')
    expect(step(p, 'resolver').waitsFor).toEqual([])
  })

  it('--replace NAME re-runs a change that succeeded', () => {
    const migrate = change()
    const p = plan({changes: {migrate}, state: state({}, {migrate: ran(migrate, 'success')}), options: {replace: ['migrate']}})
    expect(ids(p)).toEqual(['change.migrate'])
    expect(step(p, 'migrate').reason).toBe('forced by --replace')
  })

  it('options are recorded sorted, unique, and as booleans even when a caller leaves one out', () => {
    const partial = input({components: dns(), locks})
    partial.options = {targets: ['stats', 'auth', 'stats'], replace: []} as unknown as typeof partial.options
    const p = buildPlan(partial)
    expect(p.options).toEqual({destroy: false, targets: ['auth', 'stats'], replace: [], refresh: false})
  })
})

describe('order and waits', () => {
  it('stops first; then dependency order, ties by priority (highest first), then by name', () => {
    const components = {
      y: component({priority: 100, dependsOn: ['x']}),
      z: component({priority: 50}),
      x: component({priority: 1}),
      w: component({priority: 50}),
    }
    const old = component({priority: 1000})
    const p = plan({components, state: state({old: running(old, 7)})})
    expect(ids(p)).toEqual(['stop.old', 'start.w', 'start.z', 'start.x', 'start.y'])
  })

  it('names tie-break in code-unit order, whatever the locale', () => {
    const p = plan({components: {b: component(), B: component(), a: component(), A: component()}})
    expect(ids(p)).toEqual(['start.A', 'start.B', 'start.a', 'start.b'])
  })

  it('each step waits for its nearest dependencies in the plan, looking through those without a step', () => {
    const a = component({priority: 3})
    const b = component({priority: 2, dependsOn: ['a']})
    const c = component({priority: 1, dependsOn: ['b']})
    const recorded = state({a: running(a, 1), b: running(b, 2), c: running(c, 3)})
    const p = plan({components: {a, b, c: {...c, command: ['sleep', '2000']}}, state: recorded, observed: {a: {alive: false, sameProcess: false}}})
    expect(ids(p)).toEqual(['start.a', 'restart.c'])
    expect(step(p, 'a').waitsFor).toEqual([])
    expect(step(p, 'c').waitsFor).toEqual(['start.a'])
  })

  it('the first steps after the stops wait for the stops that end last; later ones only for their dependencies', () => {
    const p1 = component({dependsOn: []})
    const q = component({dependsOn: ['p1']})
    const recorded = state({p1: running(p1, 1), q: running(q, 2)})
    const p = plan({components: {n: component(), m: component({dependsOn: ['n']})}, state: recorded})
    expect(ids(p)).toEqual(['stop.q', 'stop.p1', 'start.n', 'start.m'])
    expect(step(p, 'p1').waitsFor).toEqual(['stop.q'])
    expect(step(p, 'n').waitsFor).toEqual(['stop.p1'])
    expect(step(p, 'm').waitsFor).toEqual(['start.n'])
  })

  it('every wait names an earlier step of the plan', () => {
    const components = {
      ...Object.fromEntries(Array.from({length: 30}, (_, i) => [`c${i}`, component({priority: i % 7, dependsOn: i > 2 ? [`c${i - 1}`, `c${(i * 7) % i}`] : []})])),
    }
    const p = plan({components, changes: {ch: change({dependsOn: ['c29']})}})
    const seen = new Set<string>()
    for (const s of p.steps) {
      for (const w of s.waitsFor) expect(seen.has(w)).toBe(true)
      seen.add(s.id)
    }
    expect(ids(p).at(-1)).toBe('change.ch')
  })
})

describe('locks, assumptions and diffs', () => {
  it('each step names the lock it takes; an update takes none; a stop takes the recorded one', () => {
    const locks = {restart: {holders: 1}, users: {holders: 2}, old: {holders: 1}}
    const kept = component({lock: 'restart', priority: 1})
    const p = plan({
      components: {fresh: component({lock: 'restart'}), kept: {...kept, priority: 2}},
      changes: {users: change({lock: 'users'})},
      locks,
      state: state({gone: running(component({lock: 'old'}), 5), kept: running(kept, 6)}),
    })
    expect(Object.fromEntries(p.steps.map((s) => [s.id, s.lock]))).toEqual({'stop.gone': 'old', 'start.fresh': 'restart', 'update.kept': null, 'change.users': 'users'})
  })

  it('a new step assumes nothing is recorded; a step on a recorded one assumes its hash, status, pid and start time', () => {
    const web = component()
    const p = plan({components: {web: {...web, env: {A: '1'}}, fresh: component()}, state: state({web: running(web, 42)})})
    expect(step(p, 'fresh').assumes).toEqual({specHash: null, status: null, pid: null, startTime: null})
    expect(step(p, 'web').assumes).toEqual({specHash: specHash(web), status: 'running', pid: 42, startTime: 1042})
  })

  it('diffs mappings key by key and lists and scalars whole, each with its field impact', () => {
    const before = component({command: ['a'], env: {KEEP: '1', CHANGE: 'x', DROP: 'y'}, priority: 1})
    const after = component({command: ['a', 'b'], env: {KEEP: '1', CHANGE: 'z', ADD: 'w'}, priority: 2})
    const p = plan({components: {web: after}, state: state({web: running(before, 42)})})
    expect(step(p, 'web').diff).toEqual([
      {path: 'command', before: ['a'], after: ['a', 'b'], impact: 'restart'},
      {path: 'env.ADD', after: 'w', impact: 'restart'},
      {path: 'env.CHANGE', before: 'x', after: 'z', impact: 'restart'},
      {path: 'env.DROP', before: 'y', impact: 'restart'},
      {path: 'priority', before: 1, after: 2, impact: 'none'},
    ])
  })

  it('a new component has an empty diff and the spec it will start with', () => {
    const web = component({env: {A: '1'}})
    const p = plan({components: {web}})
    expect(step(p, 'web').diff).toEqual([])
    expect(step(p, 'web').spec).toEqual(web)
    expect(step(p, 'web').specHash).toBe(specHash(web))
  })
})

describe('changes', () => {
  const [first, ...rest] = ['a', 'b', 'c', 'd', 'e'].map((name) => ({name, vars: {host: `${name}.example`}}))
  const targets: NonNullable<Change['targets']> = [first!, ...rest]
  const migrate = change({targets, apply: {run: [['migrate', '${host}']]}})

  it('a new change runs, its targets in batches', () => {
    const p = plan({changes: {migrate}})
    expect(ids(p)).toEqual(['change.migrate'])
    expect(step(p, 'migrate')).toMatchObject({type: 'change', reason: 'new change', batches: [['a'], ['b'], ['c'], ['d'], ['e']], lock: null})
    expect(step(p, 'migrate').kind).toBeUndefined()
  })

  it('batches of serial 1, 2 and all', () => {
    expect(batchesOf({...migrate, serial: 1})).toEqual([['a'], ['b'], ['c'], ['d'], ['e']])
    expect(batchesOf({...migrate, serial: 2})).toEqual([['a', 'b'], ['c', 'd'], ['e']])
    expect(batchesOf({...migrate, serial: 'all'})).toEqual([['a', 'b', 'c', 'd', 'e']])
    expect(batchesOf(change())).toEqual([['local']])
    expect(step(plan({changes: {migrate: {...migrate, serial: 2}}}), 'migrate').batches).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('a change whose spec changed runs again', () => {
    const edited: Change = {...migrate, apply: {run: [['migrate', '--fast', '${host}']]}}
    const p = plan({changes: {migrate: edited}, state: state({}, {migrate: ran(migrate, 'success')})})
    expect(ids(p)).toEqual(['change.migrate'])
    expect(step(p, 'migrate').reason).toBe('apply changed')
    expect(step(p, 'migrate').diff.every((d) => d.impact === 'rerun')).toBe(true)
  })

  it('a change where only none-impact fields changed is an update: recorded, not run', () => {
    const p = plan({changes: {migrate: {...migrate, description: 'now documented', serial: 2}}, state: state({}, {migrate: ran(migrate, 'success')})})
    expect(ids(p)).toEqual(['update.migrate'])
    expect(step(p, 'migrate').reason).toBe('description, serial changed; it does not run again')
  })

  it('a change that failed last time runs again, naming the targets that failed', () => {
    const recorded = ran(migrate, 'failed')
    recorded.targets.a!.outcome = 'success'
    recorded.targets.c!.outcome = 'backout_ok'
    const p = plan({changes: {migrate}, state: state({}, {migrate: recorded})})
    expect(ids(p)).toEqual(['change.migrate'])
    expect(step(p, 'migrate').reason).toBe('last run failed (b: failed, c: backout_ok, d: failed, e: failed)')
  })

  it('an interrupted change runs again from check', () => {
    const pending = {action: 'change', stepId: 'change.migrate', since: '2026-01-02T00:00:00Z'}
    const p = plan({changes: {migrate}, state: state({}, {migrate: ran(migrate, 'running', {pending})})})
    expect(ids(p)).toEqual(['change.migrate'])
    expect(step(p, 'migrate').reason).toBe('interrupted (began 2026-01-02T00:00:00Z); runs again from check')
    const noPending = plan({changes: {migrate}, state: state({}, {migrate: ran(migrate, 'running')})})
    expect(ids(noPending)).toEqual(['change.migrate'])
  })

  it('a change that succeeded and did not change plans nothing', () => {
    expect(plan({changes: {migrate}, state: state({}, {migrate: ran(migrate, 'success')})}).steps).toEqual([])
  })

  it('a change runs after the components it depends on', () => {
    const p = plan({components: {db: component({priority: -5})}, changes: {migrate: {...migrate, dependsOn: ['db']}, other: change()}})
    expect(ids(p)).toEqual(['change.other', 'start.db', 'change.migrate'])
    expect(step(p, 'migrate').waitsFor).toEqual(['start.db'])
  })
})

describe('determinism', () => {
  const components = {
    msgq: component({priority: 200, env: {B: '2', A: '1'}}),
    auth: component({priority: 100, dependsOn: ['msgq'], lock: 'restart'}),
    stats: component({dependsOn: ['msgq']}),
    resolver: component({priority: 50, dependsOn: ['auth']}),
  }
  const scenario = {components, changes: {seed: change({dependsOn: ['auth']})}, locks: {restart: {holders: 1}}}

  it('the same input twice gives byte-identical JSON and the same id', () => {
    const first = JSON.stringify(plan(scenario))
    const second = JSON.stringify(plan(scenario))
    expect(second).toBe(first)
    expect(JSON.parse(first).id).toMatch(/^plan-[0-9a-f]{24}$/)
  })

  it('shuffled key order of the components gives the same steps and the same id', () => {
    const original = plan(scenario)
    for (const order of [['stats', 'resolver', 'auth', 'msgq'], ['resolver', 'msgq', 'stats', 'auth']]) {
      const shuffled = Object.fromEntries(order.map((name) => [name, components[name as keyof typeof components]]))
      const p = plan({...scenario, components: shuffled})
      expect(JSON.stringify(p.steps)).toBe(JSON.stringify(original.steps))
      expect(p.id).toBe(original.id)
    }
  })

  it('the id is the hash of the canonical JSON of the rest of the plan', () => {
    for (const p of [plan(scenario), plan({...scenario, state: runningAll(components), options: {destroy: true}}), plan({components: {}})]) {
      const rest = canonicalJson({...p, id: undefined})
      expect(p.id).toBe('plan-' + sha256(rest).slice(0, 24))
    }
  })

  it('a different input gives a different id', () => {
    expect(plan({...scenario, options: {destroy: true}}).id).not.toBe(plan(scenario).id)
    expect(plan({...scenario, components: {...components, stats: component({priority: 1, dependsOn: ['msgq']})}}).id).not.toBe(plan(scenario).id)
  })

  it('the planner does not modify its input', () => {
    const i = input({...scenario, state: runningAll(components)})
    const before = JSON.stringify(i)
    buildPlan(i)
    expect(JSON.stringify(i)).toBe(before)
  })
})
