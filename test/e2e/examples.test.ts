import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, ROOT, tempProject} from '../helpers/cli.js'
import {readState} from '../helpers/state.js'

describe('shipped examples', () => {
  const examples = readdirSync(join(ROOT, 'examples'))

  it.each(examples)('%s validates', (name) => {
    const result = compctl(['validate'], {cwd: tempProject(name)})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('release: starts the API, then publishes to each site in turn, and has nothing left to do', () => {
    const dir = tempProject('release')
    const result = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(result.code, result.stdout).toBe(0)
    expect(result.stdout.indexOf('[start.api] done')).toBeLessThan(result.stdout.indexOf('[change.publish-config] started'))
    expect(result.stdout.indexOf('batch 1/2: eu')).toBeLessThan(result.stdout.indexOf('batch 2/2: us'))
    for (const site of ['eu', 'us']) expect(readFileSync(join(dir, `state/sites/${site}/version.txt`), 'utf8')).toBe('42\n')
    const state = readState(dir)
    expect(state.changes['publish-config']!.status).toBe('success')
    expect(Object.values(state.changes['publish-config']!.targets).map((t) => t.outcome)).toEqual(['success', 'success'])
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
  })

  it('release: a verify that fails backs every site out and the change is planned again', () => {
    const dir = tempProject('release')
    const file = join(dir, 'compctl.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('stdout: "^42$"', 'stdout: "^43$"'))
    const result = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(result.code).toBe(1)
    const targets = readState(dir).changes['publish-config']!.targets
    expect(targets.eu!.outcome).toBe('backout_ok')
    for (const site of ['eu', 'us']) expect(existsSync(join(dir, `state/sites/${site}/version.txt`))).toBe(false)
    expect(compctl(['plan'], {cwd: dir}).stdout).toMatch(/> change publish-config[\s\S]*last run failed/)
  })
})
