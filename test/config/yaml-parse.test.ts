import {describe, expect, it} from 'vitest'
import {validateText} from '../../src/config/load.js'

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
})
