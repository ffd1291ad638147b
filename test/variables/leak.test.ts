import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {BIN, compctl, testEnv, tempProject, type CliResult} from '../helpers/cli.js'
import {readState} from '../helpers/state.js'

/** Distinctive strings: found anywhere, they leaked. */
const PASSWORD = 'Pw-LEAKCHECK-7f3kq'
const NEW_PASSWORD = 'Pw-LEAKCHECK-rotated-x9'
const FILE_SECRET = 'EnvFile-LEAKCHECK-55zz'
const FILE_SECRET_2 = 'EnvFile-LEAKCHECK-quoted value'
const SECRETS = [PASSWORD, NEW_PASSWORD, FILE_SECRET, FILE_SECRET_2]

const FILE = `version: 1
variables:
  db_password: { type: string, sensitive: true }
  zone: { default: example.org }
components:
  db:
    kind: core
    command: [sh, -c, "while :; do sleep 1; done", db, "--password=\${var.db_password}"]
    env: { DB_URL: "pg://app:\${var.db_password}@localhost/\${var.zone}" }
    envFile: [db.env]
    ready: { command: [sh, -c, 'test -n "$DB_URL"'] }
  broken:
    kind: dispensable
    command: ["./no-such-program-\${var.db_password}"]
changes:
  rotate:
    dependsOn: [db]
    vars: { TOKEN: "\${var.db_password}" }
    apply: { run: [[sh, -c, 'echo "the token is $TOKEN"'], ["true", "--token=\${var.db_password}"]] }
`

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

describe('secret leak check', () => {
  it('no sensitive value appears in any output or any file compctl writes, only in the running process', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), FILE)
    writeFileSync(join(dir, 'db.env'), `API_KEY=${FILE_SECRET}\nQUOTED="${FILE_SECRET_2}"\n`)
    const printed: string[] = []
    // Its own cache folder, whose parsed files are searched too.
    const cache = {XDG_CACHE_HOME: join(dir, 'cache')}
    const env = {...cache, COMPCTL_VAR_db_password: PASSWORD}
    const run = (args: string[], options: {env?: Record<string, string>} = {}): CliResult => {
      const result = compctl(args, {cwd: dir, env: options.env ?? env})
      printed.push(`$ compctl ${args.join(' ')}\n${result.stdout}${result.stderr}`)
      return result
    }

    expect(run(['validate']).code).toBe(0)
    for (const format of [[], ['--format', 'markdown'], ['--json']]) expect(run(['plan', ...format]).code).toBe(0)
    expect(run(['plan', '--out', 'plan.json']).code).toBe(0)
    expect(run(['show', 'plan.json']).code).toBe(0)

    // The saved plan, applied with the value given again: db starts, the change runs, broken fails to start.
    const applied = run(['apply', 'plan.json'])
    expect(applied.code).toBe(1)
    expect(applied.stdout + applied.stderr).toContain("could not start './no-such-program-(sensitive)'")
    const state = readState(dir)
    expect(state.components.db!.status).toBe('running')
    expect(state.changes.rotate!.status).toBe('success')
    expect(state.components.broken!.lastError).toMatch(/^could not start '\.\/no-such-program-\(sensitive:[0-9a-f]{24}\)'/)

    // The process itself gets the real values: this is where they must be, and the only place.
    const pid = state.components.db!.pid!
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(`--password=${PASSWORD}`)
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
    expect(environ).toContain(`DB_URL=pg://app:${PASSWORD}@localhost/example.org`)
    expect(environ).toContain(`API_KEY=${FILE_SECRET}`)
    expect(environ).toContain(`QUOTED=${FILE_SECRET_2}`)

    for (const args of [['status'], ['status', '--json'], ['show'], ['show', '--json'], ['logs', 'db'], ['logs', 'rotate'], ['logs', 'broken']]) run(args)
    expect(printed.at(-2)).toContain('the token is (sensitive)')
    expect(printed.at(-2)).toContain("$ true '--token=(sensitive)'")

    // A new value: the restart's diff, the NDJSON events and the Ink view in a real terminal.
    const rotated = {...cache, COMPCTL_VAR_db_password: NEW_PASSWORD}
    const plan = run(['plan'], {env: rotated})
    expect(plan.stdout).toContain('~ env.DB_URL: "pg://app:(sensitive)@localhost/example.org" → "pg://app:(sensitive)@localhost/example.org"')
    const json = run(['apply', '--auto-approve', '--json', '--target', 'db'], {env: rotated})
    expect(json.code).toBe(0)
    expect(json.stdout).toContain('"type":"summary"')
    const terminal = spawnSync('script', ['-qec', `stty cols 100 rows 40; exec '${process.execPath}' '${BIN}' apply --auto-approve --target rotate`, '/dev/null'], {
      cwd: dir,
      env: {...testEnv(rotated), TERM: 'xterm-256color', CI: '', CONTINUOUS_INTEGRATION: ''},
      encoding: 'utf8',
      timeout: 60_000,
    })
    printed.push(terminal.stdout + terminal.stderr)
    expect(terminal.stdout).toContain('rotate')
    expect(terminal.status).toBe(0)

    expect(run(['destroy', '--auto-approve'], {env: rotated}).code).toBe(0)

    const written = [...filesUnder(join(dir, 'state')), join(dir, 'plan.json'), ...filesUnder(join(dir, 'cache'))]
    expect(written.some((f) => f.endsWith('compctl.state.json.backup'))).toBe(true)
    expect(written.some((f) => f.includes(join('compctl', 'parsed')))).toBe(true)
    expect(written.some((f) => f.includes(join('logs', 'changes', 'rotate')))).toBe(true)
    const everything = [...printed, ...written.map((f) => `${f}:\n${readFileSync(f, 'latin1')}`)]
    // Nor an unkeyed hash of it, which a guess could be checked against; the key is its owner's alone.
    const unkeyed = SECRETS.map((secret) => createHash('sha256').update(secret).digest('hex').slice(0, 16))
    for (const hash of unkeyed) expect(everything.filter((text) => text.includes(hash))).toEqual([])
    expect(statSync(join(dir, 'state/compctl.key')).mode & 0o777).toBe(0o600)
    for (const secret of SECRETS) {
      const leaks = everything.filter((text) => text.includes(secret)).map((text) => text.split('\n')[0])
      expect(leaks, `${secret} leaked`).toEqual([])
    }
  })
})
