import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import type {CompctlState} from '../../src/model/generated/state.js'
import {compctl, tempProject} from '../helpers/cli.js'
import {isAlive} from '../helpers/state.js'
import {describeWithEtcd} from '../locks/etcd-server.js'

const PREFIX = '/compctl-secrets'
const FIRST = 'first-secret-value'
const SECOND = 'second-secret-value'
const FROM_FILE = 'env-file-secret-value'

/** The CI recipe's file: state in etcd under one instance name, endpoints from the environment, a secret from COMPCTL_VAR_token. */
function ciFile(project: string): string {
  return `version: 1
project: ${project}
settings:
  instance: ci
  state:
    backend: etcd
    etcd: { endpoints: ["http://127.0.0.1:9"], prefix: ${PREFIX} }
variables:
  token: { type: string, sensitive: true }
components:
  web:
    command: ["sleep", "300"]
    env: { TOKEN: "\${var.token}" }
    envFile: [web.env]
`
}

/** A fresh checkout of the pipeline's repository: the file and its env file, no state. */
function checkout(project: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), ciFile(project))
  writeFileSync(join(dir, 'web.env'), `API_KEY=${FROM_FILE}\n`)
  return dir
}

function envOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
}

describeWithEtcd('the secret key lives with the state in etcd', (etcd) => {
  const etcdctl = (...args: string[]) => execFileSync('etcdctl', ['--endpoints', etcd().endpoint, ...args], {encoding: 'utf8', env: {...process.env, ETCDCTL_API: '3'}})
  const stateOf = (project: string) => JSON.parse(etcdctl('get', '--print-value-only', `${PREFIX}/${project}/state/ci`)) as CompctlState
  const keyOf = (project: string, instance: string) => etcdctl('get', '--print-value-only', `${PREFIX}/${project}/key/${instance}`).trim()

  it('CI runners in fresh folders share one state and its key: a sensitive value applied from A plans nothing from B; a changed one plans a restart, never shown', () => {
    const p = `secrets-${randomBytes(4).toString('hex')}`
    const env = (token: string) => ({COMPCTL_STATE_ETCD_ENDPOINTS: etcd().endpoint, COMPCTL_VAR_token: token})

    const a = checkout(p)
    const applied = compctl(['apply', '--auto-approve'], {cwd: a, env: env(FIRST)})
    expect(applied.stderr).toBe('')
    expect(applied.code).toBe(0)
    const first = stateOf(p).components.web!.pid!
    expect(envOf(first)).toEqual(expect.arrayContaining([`TOKEN=${FIRST}`, `API_KEY=${FROM_FILE}`]))
    expect(keyOf(p, 'ci')).toMatch(/^[0-9a-f]{64}$/)
    expect(existsSync(join(a, 'state', 'compctl.key'))).toBe(false)

    const b = checkout(p)
    const same = compctl(['plan', '--detailed-exitcode'], {cwd: b, env: env(FIRST)})
    expect(same.stderr).toBe('')
    expect(same.code).toBe(0)

    const changed = compctl(['plan', '--detailed-exitcode'], {cwd: b, env: env(SECOND)})
    expect(changed.code).toBe(2)
    expect(changed.stdout).toContain('~ restart web')
    expect(changed.stdout).toContain('~ env.TOKEN: "(sensitive)" → "(sensitive)"  (restart)')
    expect(changed.stdout + changed.stderr).not.toContain('secret-value')

    // A plan saved on B is applied on B: its markers were made with the state's key, so it is not stale.
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: b, env: env(SECOND)}).code).toBe(0)
    const fromPlan = compctl(['apply', 'plan.json'], {cwd: b, env: env(SECOND)})
    expect(fromPlan.stderr).toBe('')
    expect(fromPlan.code).toBe(0)
    const second = stateOf(p).components.web!.pid!
    expect(second).not.toBe(first)
    expect(isAlive(first)).toBe(false)
    expect(envOf(second)).toContain(`TOKEN=${SECOND}`)
    // Back on A, the new value is what the state holds.
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: a, env: env(SECOND)}).code).toBe(0)
    expect(etcdctl('get', '--prefix', `${PREFIX}/${p}/`)).not.toContain('secret-value')
    expect(readFileSync(join(b, 'plan.json'), 'utf8')).not.toContain('secret-value')

    // --instance names another state, with its own key.
    expect(compctl(['plan', '--instance', 'ci-2'], {cwd: b, env: env(SECOND)}).code).toBe(0)
    expect(keyOf(p, 'ci-2')).toMatch(/^[0-9a-f]{64}$/)
    expect(keyOf(p, 'ci-2')).not.toBe(keyOf(p, 'ci'))
    expect(compctl(['destroy', '--auto-approve'], {cwd: b, env: env(SECOND)}).code).toBe(0)
    expect(isAlive(second)).toBe(false)
  })

  it('validate needs no key: it never reaches the state backend, even with a sensitive value given', () => {
    const dir = checkout(`validate-${randomBytes(4).toString('hex')}`)
    const result = compctl(['validate'], {cwd: dir, env: {COMPCTL_VAR_token: FIRST}})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })
})
