import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CompctlPlan} from '../../src/model/generated/plan.js'
import {compctl, mkfifo, tempProject} from '../helpers/cli.js'

const FILE = `version: 1
variables:
  zone: { type: string, default: from-default }
  port: { type: number, default: 8053 }
  verbose: { type: boolean, default: false }
components:
  auth:
    command: [sleep, "300", "\${var.zone}", "\${var.port}", "\${var.verbose}"]
`

function project(yaml = FILE, files: Record<string, string> = {}): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), yaml)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** The argv `auth` would be started with, from `plan --json`. */
function planned(dir: string, args: string[], env: Record<string, string> = {}): string[] {
  const result = compctl(['plan', '--json', ...args], {cwd: dir, env})
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  const plan = JSON.parse(result.stdout) as CompctlPlan
  return (plan.steps.find((s) => s.name === 'auth')!.spec as {command: string[]}).command
}

describe('variable values', () => {
  it('take precedence default < each --var-file in order < COMPCTL_VAR_<name> < --var', () => {
    const dir = project(FILE, {
      'a.yaml': 'zone: from-a\nport: 1\n',
      'b.json': '{"zone": "from-b"}',
    })
    expect(planned(dir, [])).toEqual(['sleep', '300', 'from-default', '8053', 'false'])
    expect(planned(dir, ['--var-file', 'a.yaml'])).toEqual(['sleep', '300', 'from-a', '1', 'false'])
    expect(planned(dir, ['--var-file', 'a.yaml', '--var-file', 'b.json'])).toEqual(['sleep', '300', 'from-b', '1', 'false'])
    expect(planned(dir, ['--var-file', 'b.json', '--var-file', 'a.yaml'])).toEqual(['sleep', '300', 'from-a', '1', 'false'])
    const env = {COMPCTL_VAR_zone: 'from-env', COMPCTL_VAR_verbose: 'true'}
    expect(planned(dir, ['--var-file', 'a.yaml'], env)).toEqual(['sleep', '300', 'from-env', '1', 'true'])
    expect(planned(dir, ['--var-file', 'a.yaml', '--var', 'zone=from-flag', '--var', 'port=2.5'], env)).toEqual(['sleep', '300', 'from-flag', '2.5', 'true'])
    // The last --var wins, and a value may hold "=".
    expect(planned(dir, ['--var', 'zone=x', '--var', 'zone=a=b'])).toEqual(['sleep', '300', 'a=b', '8053', 'false'])
  })

  it('of the wrong type are refused naming the source and the type', () => {
    const dir = project(FILE, {'bad.yaml': 'port: "8053"\n'})
    const flag = compctl(['plan', '--var', 'port=abc'], {cwd: dir})
    expect(flag.code).toBe(1)
    expect(flag.stderr).toBe('--var port: "abc" is not a number\n')
    const bool = compctl(['plan', '--var', 'verbose=yes'], {cwd: dir})
    expect(bool.stderr).toBe('--var verbose: "yes" is not a boolean (true or false)\n')
    const file = compctl(['plan', '--var-file', 'bad.yaml'], {cwd: dir})
    expect(file.stderr).toBe('--var-file bad.yaml: port: "8053" is not a number\n')
    const env = compctl(['plan'], {cwd: dir, env: {COMPCTL_VAR_port: '80x'}})
    expect(env.stderr).toBe('COMPCTL_VAR_port: "80x" is not a number\n')
    expect(env.code).toBe(1)
  })

  it('for an undeclared name are refused with a suggestion, from --var and from a var file alike', () => {
    const dir = project(FILE, {'typo.yaml': 'prot: 1\n'})
    const flag = compctl(['plan', '--var', 'zome=x'], {cwd: dir})
    expect(flag.code).toBe(1)
    expect(flag.stderr).toContain('--var zome: "zome" is not a declared variable (did you mean "zone"?)')
    const file = compctl(['plan', '--var-file', 'typo.yaml'], {cwd: dir})
    expect(file.stderr).toContain('--var-file typo.yaml: "prot" is not a declared variable')
    expect(file.stderr).toContain('zone, port, verbose')
    expect(compctl(['plan', '--var', 'zone'], {cwd: dir}).stderr).toBe('--var zone: write --var NAME=VALUE\n')
  })

  it('are required when there is no default: every missing one is listed at once with the three ways to give it', () => {
    const dir = project(`version: 1
variables:
  zone: { type: string, description: "the DNS zone" }
  token: { type: string, sensitive: true }
  port: { type: number, default: 1 }
components:
  auth: { command: [sleep, "300", "\${var.zone}", "\${var.token}"] }
`)
    const result = compctl(['plan'], {cwd: dir})
    expect(result.code).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/compctl\.yaml: variable "zone" \(the DNS zone\) has no value: give one with --var zone=VALUE, an entry in a --var-file, or the environment variable COMPCTL_VAR_zone$/)
    expect(lines[1]).toContain('variable "token" has no value: give one with --var token=VALUE')
    // apply and destroy need them too; validate does not.
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).stderr).toContain('variable "zone"')
    expect(compctl(['destroy', '--auto-approve'], {cwd: dir}).stderr).toContain('variable "zone"')
    const validate = compctl(['validate'], {cwd: dir})
    expect(validate.code).toBe(0)
    expect(validate.stdout).toContain('valid')
  })

  it('from a var file that is not a regular file, missing, or not an object are refused naming it', () => {
    const dir = project(FILE, {'list.yaml': '- a\n', 'broken.json': '{'})
    mkfifo(join(dir, 'fifo.yaml'))
    expect(compctl(['plan', '--var-file', 'fifo.yaml'], {cwd: dir, timeoutMs: 20_000}).stderr).toBe('fifo.yaml: cannot read the var file: it is a FIFO, not a regular file\n')
    expect(compctl(['plan', '--var-file', 'none.yaml'], {cwd: dir}).stderr).toBe('none.yaml: cannot read the var file: no such file\n')
    expect(compctl(['plan', '--var-file', 'list.yaml'], {cwd: dir}).stderr).toBe('--var-file list.yaml: expected an object of variable name → value\n')
    expect(compctl(['plan', '--var-file', 'broken.json'], {cwd: dir}).stderr).toMatch(/^--var-file broken\.json: not valid JSON: /)
  })
})

describe('substitution', () => {
  it('reads ${env.NAME} and ${env.NAME:-default} from compctl\'s environment, keeps $${ literal and ${name} for changes', () => {
    const dir = project(`version: 1
components:
  auth:
    command: [sleep, "300"]
    env: { HOME_DIR: "\${env.HOME_FOR_TEST}", MODE: "\${env.MODE_FOR_TEST:-prod}", LITERAL: "$\${var.zone} and $\${env.X}", SHELL_STYLE: "\${HOME}" }
`)
    const plan = JSON.parse(compctl(['plan', '--json'], {cwd: dir, env: {HOME_FOR_TEST: '/home/x'}}).stdout) as CompctlPlan
    expect((plan.steps[0]!.spec as {env: unknown}).env).toEqual({HOME_DIR: '/home/x', MODE: 'prod', LITERAL: '${var.zone} and ${env.X}', SHELL_STYLE: '${HOME}'})
    const set = JSON.parse(compctl(['plan', '--json'], {cwd: dir, env: {HOME_FOR_TEST: '/h', MODE_FOR_TEST: 'dev'}}).stdout) as CompctlPlan
    expect((set.steps[0]!.spec as {env: unknown}).env).toMatchObject({MODE: 'dev'})
    const unset = compctl(['plan'], {cwd: dir})
    expect(unset.code).toBe(1)
    expect(unset.stderr).toContain('components.auth.env.HOME_DIR: ${env.HOME_FOR_TEST}: HOME_FOR_TEST is not set in compctl\'s environment; set it, or give a default: ${env.HOME_FOR_TEST:-VALUE}')
  })

  it('leaves a change\'s own ${name} target vars alone while replacing ${var.NAME}; $${ stays a literal ${ there too', () => {
    const dir = project(`version: 1
variables:
  user: { default: justin }
changes:
  add:
    targets: [{ name: ns1, vars: { host: ns1.example } }]
    apply: { run: [[echo, "\${host}", "\${var.user}", "$\${host}", "$\${var.user}"], "echo \\"$\${HOME}\\" \\"\${var.user}\\""] }
`)
    const plan = JSON.parse(compctl(['plan', '--json'], {cwd: dir}).stdout) as CompctlPlan
    expect((plan.steps[0]!.spec as {apply: {run: string[][]}}).apply.run[0]).toEqual(['echo', '${host}', 'justin', '$${host}', '$${var.user}'])
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    // The shell string gets the text ${HOME}, which the shell expands.
    expect(compctl(['logs', 'add'], {cwd: dir}).stdout).toContain(`ns1.example justin \${host} \${var.user}\n$ echo "\${HOME}" "justin"\n${process.env.HOME} justin\n`)
  })
})

describe('validate', () => {
  it('reports undeclared references (located, with a suggestion) and defaults of the wrong type, needing no values', () => {
    const dir = project(`version: 1
variables:
  zone: { type: string }
  port: { type: number, default: "8053" }
components:
  auth:
    command: [sleep, "300", "\${var.zome}"]
    env: { A: "\${var.x-y}", B: "\${var.zone:-z}" }
`)
    const result = compctl(['validate'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('compctl.yaml:4:34: variables.port.default: the default is a string, but the variable\'s type is number')
    expect(result.stderr).toContain('compctl.yaml:7:29: components.auth.command[2]: ${var.zome}: no variable "zome" is declared (did you mean "zone"?)')
    expect(result.stderr).toContain('components.auth.env.A: ${var.x-y}: "x-y" is not a variable name')
    expect(result.stderr).toContain('components.auth.env.B: ${var.zone:-z}: a variable\'s default goes in its declaration')
    // plan reports the same located problems before asking for any value.
    expect(compctl(['plan'], {cwd: dir}).stderr).toContain('no variable "zome" is declared')
  })

  it('checks values it is given (declared, of the type) but requires none', () => {
    const dir = project(FILE)
    expect(compctl(['validate', '--var', 'port=x'], {cwd: dir}).stderr).toBe('--var port: "x" is not a number\n')
    expect(compctl(['validate', '--var', 'nope=1'], {cwd: dir}).stderr).toContain('--var nope: "nope" is not a declared variable')
    expect(compctl(['validate', '--var', 'port=9'], {cwd: dir}).code).toBe(0)
  })

  it('warns about ${var.X} pasted into the script of sh -c, leaving the file valid', () => {
    const dir = project(`version: 1
variables:
  zone: { default: z }
components:
  auth: { command: [sh, -c, "exec sleep 300 \${var.zone}"] }
`)
    const result = compctl(['validate'], {cwd: dir})
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/compctl\.yaml:5:\d+: components\.auth\.command\[2\]: warning: \$\{var\.zone\} is pasted into the script sh runs/)
  })
})
