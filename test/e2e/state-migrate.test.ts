import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import type {CompctlState} from '../../src/model/generated/state.js'
import {compctl, tempProject} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {describeWithEtcd} from '../locks/etcd-server.js'

const PREFIX = '/compctl-migrate'

const fileBackend = (project: string, body: string) => `version: 1\nproject: ${project}\n${body}`

const etcdBackend = (project: string, endpoint: string, body: string) => `version: 1
project: ${project}
settings:
  instance: web-1
  state:
    backend: etcd
    etcd: { endpoints: ["${endpoint}"], prefix: ${PREFIX} }
${body}`

describeWithEtcd('migrating a state from the file backend to etcd with state pull / state push', (etcd) => {
  const etcdctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', etcd().endpoint, ...args], {encoding: 'utf8', env: {...process.env, ETCDCTL_API: '3'}})

  it('pull from the file, push into an empty etcd instance: the same process is managed from etcd, plans nothing, shows running, and is destroyed', async () => {
    const p = `migrate-${randomBytes(4).toString('hex')}`
    const body = 'components:\n  web:\n    command: ["sleep", "300"]\n'
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), fileBackend(p, body))
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const pid = readState(dir).components.web!.pid!
    expect(isAlive(pid)).toBe(true)

    const pulled = compctl(['state', 'pull'], {cwd: dir})
    expect(pulled.code).toBe(0)
    writeFileSync(join(dir, 's.json'), pulled.stdout)

    writeFileSync(join(dir, 'compctl.yaml'), etcdBackend(p, etcd().endpoint, body))
    const pushed = compctl(['state', 'push', 's.json'], {cwd: dir})
    expect(pushed.stderr).toBe('')
    expect(pushed.code).toBe(0)
    expect(pushed.stdout).toContain('Created the state from s.json')
    const inEtcd = JSON.parse(etcdctl('get', '--print-value-only', `${PREFIX}/${p}/state/web-1`)) as CompctlState
    const fromFile = JSON.parse(pulled.stdout) as CompctlState
    expect(inEtcd.lineage).toBe(fromFile.lineage)
    expect(inEtcd.serial).toBe(fromFile.serial + 1)
    expect(inEtcd.components.web?.pid).toBe(pid)

    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.stderr).toBe('')
    expect(plan.code).toBe(0)
    expect(isAlive(pid)).toBe(true)
    const status = compctl(['status', '--json'], {cwd: dir})
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(`${PREFIX}/${p}/state/web-1`)
    expect(JSON.parse(status.stdout)).toMatchObject({components: [expect.objectContaining({name: 'web', status: 'running', pid})]})

    const destroyed = compctl(['destroy', '--auto-approve'], {cwd: dir})
    expect(destroyed.stderr).toBe('')
    expect(destroyed.code).toBe(0)
    await waitFor(() => !isAlive(pid), 10_000, 'web to stop')
    expect(JSON.parse(etcdctl('get', '--print-value-only', `${PREFIX}/${p}/state/web-1`)).components).toEqual({})
  })

  it('a component with a sensitive value: pull keeps its marker, and with the key moved too it plans nothing after the move', () => {
    const p = `migrate-${randomBytes(4).toString('hex')}`
    const body = 'variables:\n  token: { type: string, sensitive: true }\ncomponents:\n  web:\n    command: ["sleep", "300"]\n    env: { TOKEN: "${var.token}" }\n'
    const env = {COMPCTL_VAR_token: 'migrated-secret-value'}
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), fileBackend(p, body))
    expect(compctl(['apply', '--auto-approve'], {cwd: dir, env}).code).toBe(0)
    const pid = readState(dir).components.web!.pid!
    const pulled = compctl(['state', 'pull'], {cwd: dir})
    expect(pulled.code).toBe(0)
    // The state as stored: its markers, never the value.
    expect(pulled.stdout).toBe(readFileSync(join(dir, 'state', 'compctl.state.json'), 'utf8'))
    expect(pulled.stdout).toMatch(/"TOKEN": "\(sensitive:[0-9a-f]{24}\)"/)
    expect(pulled.stdout).not.toContain('migrated-secret-value')
    writeFileSync(join(dir, 's.json'), pulled.stdout)

    writeFileSync(join(dir, 'compctl.yaml'), etcdBackend(p, etcd().endpoint, body))
    expect(compctl(['state', 'push', 's.json'], {cwd: dir}).code).toBe(0)
    // Without the file's key, etcd's new one makes other markers: the value looks changed.
    expect(compctl(['state', 'push', 's.json', '--instance', 'web-2'], {cwd: dir}).code).toBe(0)
    const unkeyed = compctl(['plan', '--detailed-exitcode', '--instance', 'web-2'], {cwd: dir, env})
    expect(unkeyed.code).toBe(2)
    expect(unkeyed.stdout).toContain('~ env.TOKEN: "(sensitive)" → "(sensitive)"  (restart)')
    // With it (the README's step), the same value is the same marker.
    etcdctl('put', `${PREFIX}/${p}/key/web-1`, readFileSync(join(dir, 'state', 'compctl.key'), 'utf8'))
    const keyed = compctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(keyed.stderr).toBe('')
    expect(keyed.code).toBe(0)
    expect(isAlive(pid)).toBe(true)
    expect(compctl(['destroy', '--auto-approve'], {cwd: dir, env}).code).toBe(0)
  })
})
