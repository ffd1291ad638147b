import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, compctlAsync, mkfifo, startSleeper, tempProject, trackGroup} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'

const apply = (dir: string, ...args: string[]) => compctl(['apply', '--auto-approve', ...args], {cwd: dir})

function project(yaml: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: ops\n${yaml}`)
  return dir
}

/** A refusal: exit 1 and exactly one line on stderr, returned. */
function refusal(result: {code: number | null; stderr: string}): string {
  expect(result.code).toBe(1)
  expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1)
  return result.stderr
}

const AUTHD = 'components:\n  authd:\n    command: [sleep, "300"]\n'
const AUTH = 'components:\n  auth:\n    command: [sleep, "300"]\n'

describe('compctl state list / show / pull', () => {
  it('lists and shows records, as text and JSON, and pulls the state file as it is', () => {
    const dir = project(`${AUTHD}changes:\n  seed:\n    apply: { run: [["true"]] }\n`)
    expect(apply(dir).code).toBe(0)
    const pid = readState(dir).components.authd!.pid!
    const list = compctl(['state', 'list'], {cwd: dir})
    expect(list.code).toBe(0)
    expect(list.stdout).toBe(`authd\tcomponent\trunning\tpid ${pid}\nseed\tchange\tsuccess\n`)
    expect(JSON.parse(compctl(['state', 'list', '--json'], {cwd: dir}).stdout)).toEqual([
      {name: 'authd', type: 'component', status: 'running', pid},
      {name: 'seed', type: 'change', status: 'success', pid: null},
    ])
    const shown = JSON.parse(compctl(['state', 'show', 'authd', '--json'], {cwd: dir}).stdout)
    expect(shown).toEqual({name: 'authd', type: 'component', record: readState(dir).components.authd})
    expect(compctl(['state', 'show', 'authd'], {cwd: dir}).stdout).toContain(`pid: ${pid}`)
    const missing = compctl(['state', 'show', 'nope'], {cwd: dir})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`${join(dir, 'state/compctl.state.json')}: nope is not recorded; \`compctl state list\` shows what is\n`)
    const pulled = compctl(['state', 'pull'], {cwd: dir})
    expect(JSON.parse(pulled.stdout)).toEqual(readState(dir))
  })

  it('moves a change record with its logs', () => {
    const dir = project('changes:\n  seed:\n    apply: { run: [[echo, seeded]] }\n')
    expect(apply(dir).code).toBe(0)
    const before = readState(dir).changes.seed
    expect(compctl(['state', 'mv', 'seed', 'seed-v2'], {cwd: dir}).stdout).toBe('Moved change seed to seed-v2.\n')
    expect(readState(dir).changes).toEqual({'seed-v2': before})
    expect(existsSync(join(dir, 'state/logs/changes/seed'))).toBe(false)
    expect(compctl(['logs', 'seed-v2'], {cwd: dir}).stdout).toContain('seeded')
  })
})

describe('compctl state mv', () => {
  it('renames the record without touching the process: same pid, and the renamed file plans nothing', () => {
    const dir = project(AUTHD)
    expect(apply(dir).code).toBe(0)
    const before = readState(dir)
    const pid = before.components.authd!.pid!
    const moved = compctl(['state', 'mv', 'authd', 'auth'], {cwd: dir})
    expect(moved.stderr).toBe('')
    expect(moved.stdout).toBe(`Moved component authd to auth (pid ${pid}, untouched).\n`)
    const after = readState(dir)
    expect(after.components.authd).toBeUndefined()
    expect(after.components.auth).toEqual(before.components.authd)
    expect(after.serial).toBe(before.serial + 1)
    // The replaced version is the backup.
    expect(JSON.parse(readFileSync(join(dir, 'state/compctl.state.json.backup'), 'utf8'))).toEqual(before)
    expect(isAlive(pid)).toBe(true)
    expect(existsSync(join(dir, 'state/logs/auth.log'))).toBe(true)
    writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: ops\n${AUTH}`)
    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.stdout).toContain('No changes')
    expect(plan.code).toBe(0)
    expect(readState(dir).components.auth!.pid).toBe(pid)
  })

  it('refuses a NEW that is recorded, an OLD that is not, and a name that is not a name, changing nothing', () => {
    const dir = project(`${AUTHD}  other:\n    command: [sleep, "300"]\n`)
    expect(apply(dir).code).toBe(0)
    const before = readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')
    const taken = compctl(['state', 'mv', 'authd', 'other'], {cwd: dir})
    expect(taken.code).toBe(1)
    expect(refusal(taken)).toContain('cannot move authd to other: other is recorded already')
    expect(refusal(compctl(['state', 'mv', 'ghost', 'x'], {cwd: dir}))).toContain('ghost is not recorded')
    const bad = compctl(['state', 'mv', 'authd', '../../etc'], {cwd: dir})
    expect(bad.code).toBe(1)
    expect(refusal(bad)).toContain('../../etc: not a valid name')
    expect(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')).toBe(before)
  })

  it('waits for, or fails naming, an apply that holds the state lock', async () => {
    const dir = project(`${AUTHD}  slow:\n    command: [sleep, "300"]\n    hooks: { preStart: [sleep, "5"] }\n`)
    const running = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => existsSync(join(dir, 'state/compctl.lock')), 20_000, 'the apply to take the state lock')
    const refused = compctl(['state', 'mv', 'authd', 'auth'], {cwd: dir})
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/the state is locked: apply by .*, pid \d+/)
    const waiting = compctl(['state', 'mv', 'authd', 'auth', '--lock-timeout', '60s'], {cwd: dir, timeoutMs: 90_000})
    expect((await running.done).code).toBe(0)
    expect(waiting.stderr).toMatch(/^Waiting up to [\d.]+s for the state lock .*, held by apply by /)
    expect(waiting.code).toBe(0)
    expect(Object.keys(readState(dir).components).sort()).toEqual(['auth', 'slow'])
  })
})

describe('compctl state rm', () => {
  it('forgets the record, prints the pid left running, and the next plan starts it anew', () => {
    const dir = project(AUTHD)
    expect(apply(dir).code).toBe(0)
    const pid = readState(dir).components.authd!.pid!
    trackGroup(pid)
    const forgotten = compctl(['state', 'rm', 'authd'], {cwd: dir})
    expect(forgotten.stdout).toBe(`Forgot component authd: pid ${pid} keeps running, unmanaged.\n`)
    expect(readState(dir).components).toEqual({})
    expect(isAlive(pid)).toBe(true)
    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.code).toBe(2)
    expect(plan.stdout).toMatch(/\+ start authd[\s\S]*new component/)
  })

  it('forgets nothing when one of the names is not recorded, and says which', () => {
    const dir = project(AUTHD)
    expect(apply(dir).code).toBe(0)
    const result = compctl(['state', 'rm', 'authd', 'ghost', '--json'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(refusal(result)).toContain('ghost is not recorded')
    expect(Object.keys(readState(dir).components)).toEqual(['authd'])
  })
})

describe('compctl state push', () => {
  it('replaces the state with a newer one of its lineage; refuses another lineage and an older serial unless --force', () => {
    const dir = project(AUTHD)
    expect(apply(dir).code).toBe(0)
    const current = readState(dir)
    const write = (name: string, data: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(data))
      return name
    }
    const older = compctl(['state', 'push', write('older.json', {...current, serial: current.serial - 1})], {cwd: dir})
    expect(older.code).toBe(1)
    expect(refusal(older)).toContain(`older.json: its serial ${current.serial - 1} is not newer than the serial of`)
    const foreign = compctl(['state', 'push', write('foreign.json', {...current, lineage: 'another', serial: current.serial + 5})], {cwd: dir})
    expect(foreign.code).toBe(1)
    expect(refusal(foreign)).toContain(`foreign.json: its lineage another is not the lineage of`)
    expect(readState(dir)).toEqual(current)

    const newer = {...current, serial: current.serial + 5, components: {}}
    const pushed = compctl(['state', 'push', write('newer.json', newer)], {cwd: dir})
    expect(pushed.stderr).toBe('')
    expect(readState(dir)).toEqual({...newer, serial: current.serial + 6})
    expect(JSON.parse(readFileSync(join(dir, 'state/compctl.state.json.backup'), 'utf8'))).toEqual(current)

    const forced = compctl(['state', 'push', 'foreign.json', '--force'], {cwd: dir})
    expect(forced.code).toBe(0)
    const now = readState(dir)
    expect(now.lineage).toBe('another')
    // Serials only grow, even when an older state is forced in.
    expect(now.serial).toBe(current.serial + 7)
  })

  it('refuses a file that is not a state (schema, pid 0 or 1, a name that is no name) or not a regular file, in one line', () => {
    const dir = project(AUTHD)
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({version: 1, lineage: 'x', serial: 'one', components: {}, changes: {}}))
    const bad = compctl(['state', 'push', 'bad.json'], {cwd: dir})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toBe('bad.json: not a state: /serial must be integer\n')
    const init = {version: 1, lineage: 'x', serial: 1, components: {auth: {spec: {}, specHash: 'h', status: 'running', pid: 1, startTime: 1}}, changes: {}}
    writeFileSync(join(dir, 'init.json'), JSON.stringify(init))
    expect(compctl(['state', 'push', 'init.json', '--force'], {cwd: dir}).stderr).toBe('init.json: not a state: /components/auth/pid must be >= 2\n')
    writeFileSync(join(dir, 'escape.json'), JSON.stringify({...init, components: {'../../x': {...init.components.auth, pid: 50}}}))
    expect(compctl(['state', 'push', 'escape.json'], {cwd: dir}).stderr).toBe('escape.json: not a state: /components name "../../x" must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"\n')
    const fifo = join(dir, 'fifo')
    mkfifo(fifo)
    const fromFifo = compctl(['state', 'push', fifo], {cwd: dir, timeoutMs: 10_000})
    expect(fromFifo.code).toBe(1)
    expect(refusal(fromFifo)).toContain('not a regular file')
    expect(existsSync(join(dir, 'state/compctl.state.json'))).toBe(false)
  })
})

describe('compctl import', () => {
  const file = (command: string) => `components:\n  auth:\n    command: ${command}\n  other:\n    command: [sleep, "300"]\n`

  it('adopts a sleep running the desired command: recorded with its pid and start time, and the next plan has nothing for it', async () => {
    const dir = project(file('[sleep, "600"]'))
    const sleeper = await startSleeper()
    const result = compctl(['import', 'auth', String(sleeper.pid)], {cwd: dir})
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain(`Imported pid ${sleeper.pid} as auth.`)
    const recorded = readState(dir).components.auth!
    expect(recorded).toMatchObject({status: 'running', pid: sleeper.pid, startTime: sleeper.startTime, startedAt: expect.any(String), adopted: {command: ['sleep', '600']}})
    const plan = compctl(['plan', '--target', 'auth', '--detailed-exitcode'], {cwd: dir})
    expect(plan.stdout).toContain('No changes')
    expect(plan.code).toBe(0)
    // Adopted means managed: apply of the other component leaves it alone, destroy stops it.
    expect(apply(dir).code).toBe(0)
    expect(readState(dir).components.auth!.pid).toBe(sleeper.pid)
    expect(isAlive(sleeper.pid)).toBe(true)
    expect(compctl(['destroy', '--auto-approve'], {cwd: dir}).code).toBe(0)
    await waitFor(() => !isAlive(sleeper.pid), 10_000, 'the adopted sleep to be stopped')
  })

  it('plans a restart, showing both command lines, when the process runs another command', async () => {
    const dir = project(file('[sleep, "700"]'))
    const sleeper = await startSleeper()
    const result = compctl(['import', 'auth', String(sleeper.pid), '--json'], {cwd: dir})
    expect(JSON.parse(result.stdout)).toEqual({name: 'auth', pid: sleeper.pid, matches: false, command: ['sleep', '600'], desired: ['sleep', '700']})
    const plan = compctl(['plan', '--target', 'auth'], {cwd: dir})
    expect(plan.stdout).toContain(`~ restart auth`)
    expect(plan.stdout).toContain(`the adopted process's command differs from the desired command: it runs ["sleep","600"], the file wants ["sleep","700"]`)
  })

  it('refuses a dead pid, a name already recorded, a name not declared, a change, and a pid that is not a number', async () => {
    const dir = project(`${file('[sleep, "600"]')}changes:\n  job:\n    apply: { run: [["true"]] }\n`)
    const child = spawn('sleep', ['0'], {stdio: 'ignore'})
    await once(child, 'exit')
    const dead = compctl(['import', 'auth', String(child.pid)], {cwd: dir})
    expect(dead.code).toBe(1)
    expect(dead.stderr).toBe(`compctl import auth ${child.pid}: there is no running process with pid ${child.pid}; nothing was imported\n`)

    const sleeper = await startSleeper()
    expect(compctl(['import', 'auth', String(sleeper.pid)], {cwd: dir}).code).toBe(0)
    const again = compctl(['import', 'auth', String(sleeper.pid)], {cwd: dir})
    expect(again.code).toBe(1)
    expect(refusal(again)).toContain('auth is recorded already; nothing was imported')
    const twice = compctl(['import', 'other', String(sleeper.pid)], {cwd: dir})
    expect(refusal(twice)).toContain(`pid ${sleeper.pid} is recorded already as auth`)
    expect(refusal(compctl(['import', 'ghost', String(sleeper.pid)], {cwd: dir}))).toContain('no component is called ghost')
    expect(refusal(compctl(['import', 'job', String(sleeper.pid)], {cwd: dir}))).toContain('job is a change')
    expect(refusal(compctl(['import', 'other', '12ab'], {cwd: dir}))).toContain('PID must be a process id')
    expect(Object.keys(readState(dir).components)).toEqual(['auth'])
  })
})
