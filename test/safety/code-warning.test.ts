import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'

/*
 * Item 9: a ${var} pasted into code another program runs is warned about wherever the code is:
 * after -c, -ec, -exec, -e or --eval, and in a shell's -c script behind env, timeout, nice or find.
 */

const SPLICED = [
  '[env, sh, -c, "id ${user}"]',
  '[/usr/bin/env, bash, -c, "id ${user}"]',
  '[timeout, "5", sh, -c, "id ${user}"]',
  '[nice, sh, -c, "id ${user}"]',
  '[su, root, -c, "id ${user}"]',
  '[find, ., -exec, sh, -c, "id ${user}", ";"]',
  '[python3, -c, "print(\'${user}\')"]',
  '[perl, -e, "print \'${user}\'"]',
  '[node, --eval, "console.log(\'${user}\')"]',
  '[sh, -ec, "id ${user}"]',
]

const SAFE = ['[ssh, "${user}", id]', '[sh, -c, \'id "$1"\', sh, "${user}"]', '[env, "USER=${user}", id]', '[timeout, "5", id, "${user}"]']

function file(commands: string[]): string {
  return ['version: 1', 'changes:', '  c:', '    vars: {user: ann}', '    apply:', '      run:', ...commands.map((command) => `        - ${command}`), ''].join('\n')
}

describe('safety: ${var} spliced into code (item 9)', () => {
  it('warns for each splice into code, at the element holding it', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), file(SPLICED))
    const result = compctl(['validate'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    const warnings = result.stderr.split('\n').filter((line) => line.includes('warning: ${user} is pasted into the script'))
    expect(warnings.map((line) => line.split(': ')[1])).toEqual([
      'changes.c.apply.run[0][3]',
      'changes.c.apply.run[1][3]',
      'changes.c.apply.run[2][4]',
      'changes.c.apply.run[3][3]',
      'changes.c.apply.run[4][3]',
      'changes.c.apply.run[5][5]',
      'changes.c.apply.run[6][2]',
      'changes.c.apply.run[7][2]',
      'changes.c.apply.run[8][2]',
      'changes.c.apply.run[9][2]',
    ])
  })

  it('does not warn where the value stays one argument', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), file(SAFE))
    const result = compctl(['validate'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).not.toContain('warning')
  })
})
