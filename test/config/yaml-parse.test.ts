import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {validateText} from '../../src/config/load.js'
import {compctl, ROOT, tempProject} from '../helpers/cli.js'

const load = (text: string) => validateText(text, 'compctl.yaml', '/srv/app/compctl.yaml')

describe('YAML files: what is accepted as well as what is refused', () => {
  it('an anchor reused by 500 components is not mistaken for an alias bomb', () => {
    let text = 'version: 1\ncomponents:\n  base: &base { command: [./run], env: { LOG_LEVEL: info } }\n'
    for (let i = 0; i < 500; i++) text += `  c${i}: *base\n`
    const result = load(text)
    expect(result.ok ? [] : result.problems).toEqual([])
    if (result.ok) expect(result.config.spec.components?.c499).toEqual({command: ['./run'], env: {LOG_LEVEL: 'info'}})
  })

  it('a byte order mark and Windows line ends are fine', () => {
    const result = load('\uFEFFversion: 1\r\ncomponents:\r\n  web: { command: [./web] }\r\n')
    expect(result.ok ? [] : result.problems).toEqual([])
  })

  it('a duplicate key inside a flow mapping is found at the second key, with the path of the mapping', () => {
    const result = load('version: 1\ncomponents:\n  web: { command: [./web], env: { A: "1", A: "2" } }\n')
    expect(result.ok).toBe(false)
    if (!result.ok)
      expect(result.problems).toEqual([
        {file: 'compctl.yaml', line: 3, col: 43, path: 'components.web.env.A', message: 'duplicate key "A": each key may appear once (the first is at line 3)'},
      ])
  })

  it('a component named with digits only keeps a name path, not a list index', () => {
    const result = load('version: 1\ncomponents:\n  "80": { command: 80 }\n')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.problems.map((p) => `${p.line}:${p.col}: ${p.path}`)).toEqual(['3:20: components.80.command'])
  })

  it("reads yaml's debugging switches (LOG_TOKENS, LOG_STREAM) once a run, not at each of a file's thousands of tokens; they still work", () => {
    const dir = tempProject()
    const components = Array.from({length: 100}, (_, i) => `  p${i}:\n    command: [sleep, "3600"]\n    env: {PORT: "${8000 + i}"}`).join('\n')
    writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: switches\ncomponents:\n${components}\n`)
    const reads = join(dir, 'env-reads')
    const probe = `--require=${join(ROOT, 'test/helpers/startup-probe.cjs')}`
    const result = compctl(['validate'], {cwd: dir, env: {NODE_OPTIONS: probe, COMPCTL_PROBE_ENV_READS: `${reads}:LOG_TOKENS,LOG_STREAM`}})
    expect(result.stdout).toContain('valid (100 components')
    expect(readFileSync(reads, 'utf8')).toBe('LOG_TOKENS 1\nLOG_STREAM 1\n')
    // Set before the run, a switch prints what it always printed: each token (of a file parsed, not read from the parse cache).
    const logged = compctl(['validate'], {cwd: dir, env: {LOG_TOKENS: '1', COMPCTL_PARSE_CACHE: '0'}})
    expect(logged.stdout).toContain('| "p99"')
  })
})
