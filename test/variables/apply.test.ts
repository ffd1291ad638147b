import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {superviseIn, WAIT_MS} from '../supervise/helpers.js'

function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), yaml)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** The environment and argv of a live process, as the kernel has them. */
function processOf(pid: number): {env: Record<string, string>; argv: string[]} {
  const env = Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  )
  return {env, argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)}
}

const pid = (dir: string, name: string) => readState(dir).components[name]!.pid!

const TWO = `version: 1
variables:
  port: { type: number }
  token: { type: string, sensitive: true, default: first-token-value }
components:
  web:
    command: [sleep, "300", "\${var.port}"]
  db:
    command: [sleep, "301"]
    env: { TOKEN: "\${var.token}" }
`

describe('apply with variables', () => {
  it('starts processes with the values; a new value restarts only the components using it; the same values plan nothing, byte for byte', () => {
    const dir = project(TWO)
    const first = compctl(['apply', '--auto-approve', '--var', 'port=1'], {cwd: dir})
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(processOf(pid(dir, 'web')).argv).toEqual(['sleep', '300', '1'])
    expect(processOf(pid(dir, 'db')).env.TOKEN).toBe('first-token-value')

    const same = compctl(['plan', '--json', '--var', 'port=1', '--detailed-exitcode'], {cwd: dir})
    expect(same.code).toBe(0)
    expect(compctl(['plan', '--json', '--var', 'port=1'], {cwd: dir}).stdout).toBe(same.stdout)
    expect(compctl(['plan', '--var', 'port=1'], {cwd: dir}).stdout).toContain('No changes')

    const web = pid(dir, 'web')
    const db = pid(dir, 'db')
    const plan = compctl(['plan', '--var', 'port=2'], {cwd: dir})
    expect(plan.stdout).toContain('~ restart web')
    expect(plan.stdout).toContain('~ command: ["sleep","300","1"] → ["sleep","300","2"]  (restart)')
    expect(plan.stdout).not.toContain('db')
    expect(compctl(['apply', '--auto-approve', '--var', 'port=2'], {cwd: dir}).code).toBe(0)
    expect(pid(dir, 'db')).toBe(db)
    expect(isAlive(db)).toBe(true)
    expect(pid(dir, 'web')).not.toBe(web)
    expect(processOf(pid(dir, 'web')).argv).toEqual(['sleep', '300', '2'])

    // A new sensitive value: a restart whose diff hides both values.
    const secret = compctl(['plan', '--var', 'port=2'], {cwd: dir, env: {COMPCTL_VAR_token: 'second-token-value'}})
    expect(secret.stdout).toContain('~ restart db')
    expect(secret.stdout).toContain('~ env.TOKEN: "(sensitive)" → "(sensitive)"  (restart)')
    expect(secret.stdout).not.toContain('web')
    expect(secret.stdout).not.toMatch(/token-value/)
  })

  it('destroys with the variables given again', () => {
    const dir = project(TWO)
    expect(compctl(['apply', '--auto-approve', '--var', 'port=1'], {cwd: dir}).code).toBe(0)
    const web = pid(dir, 'web')
    const destroyed = compctl(['destroy', '--auto-approve', '--var', 'port=1'], {cwd: dir})
    expect(destroyed.stderr).toBe('')
    expect(destroyed.code).toBe(0)
    expect(isAlive(web)).toBe(false)
  })

  it('refuses a saved plan applied without its values, or with another value, naming the variable and not the value', () => {
    const dir = project(TWO)
    const saved = compctl(['plan', '--var', 'port=1', '--out', 'plan.json'], {cwd: dir, env: {COMPCTL_VAR_token: 'planned-token-value'}})
    expect(saved.code).toBe(0)
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).not.toContain('planned-token-value')

    const without = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(without.code).toBe(1)
    expect(without.stderr).toContain('variable "port" has no value')

    const other = compctl(['apply', 'plan.json', '--var', 'port=1'], {cwd: dir, env: {COMPCTL_VAR_token: 'another-token-value'}})
    expect(other.code).toBe(1)
    expect(other.stderr).toContain('the saved plan is stale; nothing was run')
    expect(other.stderr).toContain('variable token: its value differs from the one the plan was made with')
    expect(other.stderr + other.stdout).not.toMatch(/token-value/)
    expect(existsSync(join(dir, 'state/compctl.state.json'))).toBe(false)

    const otherPort = compctl(['apply', 'plan.json', '--var', 'port=3'], {cwd: dir, env: {COMPCTL_VAR_token: 'planned-token-value'}})
    expect(otherPort.stderr).toContain('variable port: its value differs')

    const same = compctl(['apply', 'plan.json', '--var', 'port=1'], {cwd: dir, env: {COMPCTL_VAR_token: 'planned-token-value'}})
    expect(same.stderr).toBe('')
    expect(same.code).toBe(0)
    expect(processOf(pid(dir, 'db')).env.TOKEN).toBe('planned-token-value')
  })
})

const WITH_ENV_FILE = `version: 1
components:
  app:
    command: [sleep, "300"]
    envFile: [app.env, extra.env]
    env: { OVERRIDDEN: from-env-field }
  other:
    command: [sleep, "301"]
`

describe('envFile', () => {
  it('gives the process the files\' values (later files and `env` win); an edit restarts it naming the file', () => {
    const dir = project(WITH_ENV_FILE, {
      'app.env': '# comment\nexport API_KEY=first-key\nQUOTED="a b # c"\nOVERRIDDEN=from-file\nBOTH=app\n',
      'extra.env': 'BOTH=extra\n',
    })
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const env = processOf(pid(dir, 'app')).env
    expect(env).toMatchObject({API_KEY: 'first-key', QUOTED: 'a b # c', OVERRIDDEN: 'from-env-field', BOTH: 'extra'})
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)

    const other = pid(dir, 'other')
    writeFileSync(join(dir, 'extra.env'), 'BOTH=extra-v2\n')
    const plan = compctl(['plan'], {cwd: dir})
    expect(plan.stdout).toContain('~ restart app')
    expect(plan.stdout).toContain('env changed (env file extra.env)')
    expect(plan.stdout).toContain('~ env.BOTH: "(sensitive)" → "(sensitive)"  (restart)')
    expect(plan.stdout).not.toContain('extra-v2')
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    expect(processOf(pid(dir, 'app')).env.BOTH).toBe('extra-v2')
    expect(pid(dir, 'other')).toBe(other)
  })

  it('refuses a missing env file, naming it', () => {
    const dir = project(WITH_ENV_FILE, {'app.env': 'A=1\n'})
    const result = compctl(['plan'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`${join(dir, 'extra.env')}: cannot read the env file of component app: no such file\n`)
  })

  it('makes a saved plan stale when an env file changes after it', () => {
    const dir = project(WITH_ENV_FILE, {'app.env': 'A=1\n', 'extra.env': 'B=2\n'})
    expect(compctl(['plan', '--out', 'plan.json'], {cwd: dir}).code).toBe(0)
    writeFileSync(join(dir, 'app.env'), 'A=2\n')
    const result = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('env file app.env of component app changed since the plan was made')
  })
})

describe('supervise with variables', () => {
  it('starts the components with the values given, and keeps them on SIGHUP', async () => {
    const dir = project(TWO)
    const supervised = await superviseIn(dir, ['--var', 'port=7'])
    expect(processOf(pid(dir, 'web')).argv).toEqual(['sleep', '300', '7'])
    const web = pid(dir, 'web')
    supervised.child.kill('SIGHUP')
    await supervised.waitForEvent((e) => e.type === 'summary' && supervised.events().filter((x) => x.type === 'summary').length >= 2, 'the reload round')
    expect(pid(dir, 'web')).toBe(web)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
    await waitFor(() => !isAlive(web), WAIT_MS, 'web to stop')
  })
})

describe('a plan printed with --json', () => {
  it('is refused as a saved plan: its sensitive values are blanked out', () => {
    const dir = project(TWO)
    const printed = compctl(['plan', '--json', '--var', 'port=1'], {cwd: dir})
    expect(printed.stdout).toContain('"TOKEN": "(sensitive)"')
    writeFileSync(join(dir, 'printed.json'), printed.stdout)
    const result = compctl(['apply', 'printed.json', '--var', 'port=1'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("printed.json: its steps' specs do not match their hashes, as in a plan printed with --json")
    expect(existsSync(join(dir, 'state/compctl.state.json'))).toBe(false)
  })
})
