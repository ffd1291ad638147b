import {describe, expect, it} from 'vitest'
import {validateText} from '../../src/config/load.js'
import {formatProblem, type Problem} from '../../src/errors.js'

/** Every problem of `text` as `FILE:LINE:COL: path: message`, one per line. */
function problems(text: string): string[] {
  const result = validateText(text, 'compctl.yaml', '/srv/dns/compctl.yaml')
  if (result.ok) return []
  return result.problems.map((p: Problem) => formatProblem(p))
}

/** The one problem of `text`: at `where` (`FILE:LINE:COL: path`), its message containing `gist`. */
function expectOneProblem(text: string, where: string, gist: string): void {
  const found = problems(text)
  expect(found).toHaveLength(1)
  expect(found[0]!.startsWith(`${where}: `), `${found[0]} should start with ${where}`).toBe(true)
  expect(found[0]).toContain(gist)
}

const header = 'version: 1\nlocks:\n  restart: { holders: 1 }\n'

describe('validateText: one problem per semantic check, at its line and column', () => {
  it('accepts a valid file', () => {
    const result = validateText(`${header}components:\n  a: { command: [x], lock: restart }\n  b: { command: [x], dependsOn: [a] }\n`, 'compctl.yaml', '/srv/dns/compctl.yaml')
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(result.config.project).toBe('dns')
      expect(result.config.stateDir).toBe('/srv/dns/state')
    }
  })

  it('an unknown dependsOn name', () => {
    expectOneProblem(
      `${header}components:\n  msgq: { command: [x] }\n  auth:\n    command: [x]\n    dependsOn: [msgq, cfgmgr]\n`,
      'compctl.yaml:8:23: components.auth.dependsOn[1]',
      'unknown name "cfgmgr"',
    )
  })

  it('a dependency cycle, shown as a closed path', () => {
    expectOneProblem(
      `${header}components:\n  a:\n    command: [x]\n    dependsOn: [b]\n  b:\n    command: [x]\n    dependsOn: [a]\n`,
      'compctl.yaml:7:17: components.a.dependsOn[0]',
      'dependency cycle: a → b → a',
    )
  })

  it('a cycle through a change, since dependsOn may name either', () => {
    expectOneProblem(
      `${header}components:\n  a: { command: [x], dependsOn: [c] }\nchanges:\n  c:\n    dependsOn: [a]\n    apply: { run: [[x]] }\n`,
      'compctl.yaml:5:34: components.a.dependsOn[0]',
      'dependency cycle: a → c → a',
    )
  })

  it('a name used by both a component and a change', () => {
    expectOneProblem(`${header}components:\n  web: { command: [x] }\nchanges:\n  web:\n    apply: { run: [[x]] }\n`, 'compctl.yaml:7:3: changes.web', '"web" is also a component')
  })

  it('an unknown lock', () => {
    expectOneProblem(`${header}components:\n  web:\n    command: [x]\n    lock: restrat\n`, 'compctl.yaml:7:11: components.web.lock', 'unknown lock "restrat"')
  })

  it('a bad duration', () => {
    expectOneProblem(`${header}components:\n  web:\n    command: [x]\n    startGrace: 10 seconds\n`, 'compctl.yaml:7:17: components.web.startGrace', 'a duration string such as 500ms, 10s or 2m')
  })

  it('a signal that does not exist', () => {
    expectOneProblem(`${header}components:\n  web:\n    command: [x]\n    stop: { signal: SIGWHATEVER }\n`, 'compctl.yaml:7:21: components.web.stop.signal', 'unknown signal "SIGWHATEVER"')
  })

  it('a signal that is not a signal name at all', () => {
    expectOneProblem(`${header}components:\n  web:\n    command: [x]\n    reload: { signal: HUP }\n`, 'compctl.yaml:7:23: components.web.reload.signal', '"HUP"')
  })

  it('a duplicate key', () => {
    expectOneProblem(`${header}components:\n  web: { command: [x] }\n  web: { command: [y] }\n`, 'compctl.yaml:6:3: components.web', 'duplicate key "web"')
  })

  it('an undefined ${var} in an argv command', () => {
    expectOneProblem(
      `${header}changes:\n  add-user:\n    targets: [{ name: ns1, vars: { host: a } }, { name: ns2 }]\n    apply: { run: [[ssh, "\${host}", useradd]] }\n`,
      'compctl.yaml:7:26: changes.add-user.apply.run[0][1]',
      '${host} is not defined for target ns2',
    )
  })

  it('a ${var} defined by the change itself is fine for every target', () => {
    expect(problems(`${header}changes:\n  c:\n    vars: { host: a }\n    targets: [{ name: ns1 }, { name: ns2 }]\n    apply: { run: [[ssh, "\${host}"]] }\n`)).toEqual([])
  })

  it('two probes in one ready', () => {
    expectOneProblem(
      `${header}components:\n  web:\n    command: [x]\n    ready: { tcp: "127.0.0.1:80", http: "http://127.0.0.1/" }\n`,
      'compctl.yaml:7:12: components.web.ready',
      'use one of tcp, http, command, log, not tcp and http',
    )
  })

  it('a regular expression that does not compile', () => {
    expectOneProblem(
      `${header}changes:\n  c:\n    apply: { run: [[x]] }\n    verify:\n      run: [[y]]\n      expect: { stdout: "uid=(" }\n`,
      'compctl.yaml:9:25: changes.c.verify.expect.stdout',
      'not a valid regular expression',
    )
  })

  it('ready.log: a pattern that is not a regular expression, at its place', () => {
    expectOneProblem(
      `${header}components:\n  auth:\n    command: [x]\n    ready: { log: "started (pid" }\n`,
      'compctl.yaml:7:19: components.auth.ready.log',
      'not a valid regular expression (Unterminated group)',
    )
  })

  it('ready.log is one probe: not together with command', () => {
    expectOneProblem(
      `${header}components:\n  auth:\n    command: [x]\n    ready: { log: started, command: [x] }\n`,
      'compctl.yaml:7:12: components.auth.ready',
      'use one of tcp, http, command, log, not command and log',
    )
  })

  it('reports every problem of a file, in file order', () => {
    const found = problems(`${header}components:\n  a: { command: [x], dependsOn: [nope], lock: nolock }\n  b: { command: [x], stop: { signal: SIGNOPE } }\n`)
    expect(found.map((p) => p.split(': ')[0])).toEqual(['compctl.yaml:5:34', 'compctl.yaml:5:47', 'compctl.yaml:6:38'])
  })
})

describe('validateText: warnings, which leave the file valid', () => {
  /** The warnings of a valid `text`, formatted. */
  function warnings(text: string): string[] {
    const result = validateText(text, 'compctl.yaml', '/srv/dns/compctl.yaml')
    expect(result.ok, result.ok ? '' : result.problems.map(formatProblem).join('\n')).toBe(true)
    return result.ok ? result.config.warnings.map(formatProblem) : []
  }
  const change = (command: string) => `${header}changes:\n  c:\n    vars: { user: ann }\n    apply: { run: [${command}] }\n`

  it('a ${var} pasted into the script of sh -c, pointing at the script', () => {
    expect(warnings(change('[sh, -c, "userdel ${user}"]'))).toEqual([
      'compctl.yaml:7:29: changes.c.apply.run[0][2]: warning: ${user} is pasted into the script sh runs, so a value holding quotes, ; or $( ) runs as shell code: write "$user" instead (every command gets the vars as environment variables)',
    ])
  })

  it('finds the script after other shell options, and in any shell', () => {
    expect(warnings(change('[/bin/bash, -eu, -o, pipefail, -ec, "id ${user}"]'))).toHaveLength(1)
    expect(warnings(change('[bash, --norc, -c, "id ${user}"]'))).toHaveLength(1)
    expect(warnings(change('[dash, -c, "id ${user}", "${user}"]'))).toEqual([expect.stringContaining('apply.run[0][2]: warning: ${user}')])
  })

  it('no warning where the var stays one argument or the shell reads it itself', () => {
    expect(warnings(change('[ssh, "${user}", id]'))).toEqual([])
    expect(warnings(change('[sh, -c, \'id "$user"\']'))).toEqual([])
    expect(warnings(change('[sh, ./script.sh, "${user}"]'))).toEqual([])
    expect(warnings(change('"id ${user}"'))).toEqual([])
  })

  it('an invalid file reports its warnings apart from its problems', () => {
    const result = validateText(`${change('[sh, -c, "id ${user}"]')}    dependsOn: [nope]\n`, 'compctl.yaml', '/srv/dns/compctl.yaml')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems.map(formatProblem)).toEqual([expect.stringContaining('unknown name "nope"')])
    expect(result.warnings.map(formatProblem)).toEqual([expect.stringContaining('warning: ${user} is pasted')])
  })
})
