import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'

const FILE = 'version: 1\ncomponents:\n  web: {command: [sleep, "300"]}\n'

// oclif reads a positional argument that is not given from a stdin that is not a terminal.
describe('positional arguments come from the command line only, never from stdin', () => {
  it('`echo yes | compctl apply` is refused for want of a terminal, not taken for a saved plan named "yes"', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), FILE)
    const result = compctl(['apply'], {cwd: dir, input: 'yes\n'})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('compctl apply: there is no terminal to ask for confirmation')
    expect(result.stderr).not.toContain('cannot read the saved plan')
  })

  it('`compctl show` with text on stdin shows the state, not a saved plan named by that text', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), FILE)
    const result = compctl(['show'], {cwd: dir, input: 'some.plan\n'})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('nothing has been applied yet')
  })

  it('`compctl force-unlock` without its id says the id is missing, whatever stdin holds', () => {
    const result = compctl(['force-unlock'], {cwd: tempProject(), input: 'not-an-id\n'})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Missing 1 required arg/)
    expect(result.stderr).not.toContain('not-an-id')
  })
})
