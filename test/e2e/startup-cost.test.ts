import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, ROOT, tempProject, testEnv} from '../helpers/cli.js'

// What start-up must not spend (bench/startup.mjs measures how long it takes): each of these cost
// milliseconds of every command, and a change that brings one back fails here.
const PROBE = join(ROOT, 'test/helpers/startup-probe.cjs')
const READ_ONLY = [['validate'], ['plan'], ['plan', '--json'], ['status'], ['show']]

describe('start-up', () => {
  it('the probe sees a collator being built, and a built-in being loaded (the checks below can fail)', () => {
    const dir = tempProject()
    const node = (code: string, env: Record<string, string>) => spawnSync(process.execPath, ['-e', code], {cwd: dir, env: testEnv({NODE_OPTIONS: `--require=${PROBE}`, ...env}), encoding: 'utf8'})
    expect(node("'a'.localeCompare('b')", {COMPCTL_PROBE_NO_COLLATOR: '1'}).stderr).toContain('an ICU collator was built')
    const log = join(dir, 'modules.log')
    node("require('node:perf_hooks')", {COMPCTL_PROBE_LOG: log})
    expect(readFileSync(log, 'utf8').split('\n')).toContain('perf_hooks')
  })

  for (const args of READ_ONLY) {
    it(`\`compctl ${args.join(' ')}\` builds no ICU collator`, () => {
      const result = compctl(args, {cwd: tempProject('dns'), env: {NODE_OPTIONS: `--require=${PROBE}`, COMPCTL_PROBE_NO_COLLATOR: '1'}})
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
    })
  }

  it('`compctl validate` loads none of the built-ins it does not use', () => {
    const dir = tempProject('dns')
    const log = join(dir, 'modules.log')
    // NODE_ENV as a user has it, not vitest's "test" (oclif then looks for TypeScript sources).
    const result = compctl(['validate'], {cwd: dir, env: {NODE_OPTIONS: `--require=${PROBE}`, COMPCTL_PROBE_LOG: log, NODE_ENV: ''}})
    expect(result.code).toBe(0)
    const loaded = readFileSync(log, 'utf8').split('\n')
    expect(loaded).toContain('fs/promises')
    expect(loaded.filter((name) => ['crypto', 'perf_hooks', 'readline', 'zlib'].includes(name))).toEqual([])
  })

  it('`compctl apply` loads no perf_hooks, starting its components or finding nothing to do (its clock is process.hrtime)', () => {
    const dir = tempProject('dns')
    const log = join(dir, 'modules.log')
    for (const run of ['cold', 'no-op']) {
      const result = compctl(['apply', '--auto-approve'], {cwd: dir, env: {NODE_OPTIONS: `--require=${PROBE}`, COMPCTL_PROBE_LOG: log, NODE_ENV: ''}})
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(run === 'cold' ? 'Apply complete' : 'No changes')
      const loaded = readFileSync(log, 'utf8').split('\n')
      expect(loaded).toContain('crypto')
      expect(loaded).not.toContain('perf_hooks')
    }
  })
})
