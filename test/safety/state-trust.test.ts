import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {randomUUID} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'

/*
 * Item 8: the recorded state is validated before use (names, typed specs, bounded depth); anything
 * else is a corrupt state, reported with its backup's path, and nothing runs.
 */

function writeState(dir: string, components: Record<string, unknown>, changes: Record<string, unknown> = {}): string {
  mkdirSync(join(dir, 'state'), {recursive: true})
  writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\n')
  const path = join(dir, 'state/compctl.state.json')
  writeFileSync(path, JSON.stringify({version: 1, lineage: randomUUID(), serial: 1, project: 'p', components, changes, appliedPlans: []}))
  return path
}

const stopped = (spec: unknown) => ({spec, specHash: 'sha256:0', status: 'stopped', pid: null, startTime: null, restarts: 0, lastError: null})

function expectCorrupt(dir: string, path: string, why: string): void {
  for (const args of [['plan'], ['destroy', '--auto-approve']]) {
    const result = compctl(args, {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.stderr).toContain(`${path}: the state file is corrupt: ${why}`)
    expect(result.stderr).toContain(`${path}.backup`)
    expect(result.stderr).not.toContain('internal error')
  }
}

describe('safety: the recorded state is validated before use (item 8)', () => {
  it('a recorded component named ../../escaped is a corrupt state; no hook log is written outside the logs folder', () => {
    const dir = tempProject()
    const path = writeState(dir, {'../../escaped': stopped({command: ['true'], hooks: {postStop: 'true'}})})
    expectCorrupt(dir, path, '/components name "../../escaped" must match pattern')
    expect(existsSync(join(dir, 'escaped.log'))).toBe(false)
    expect(existsSync(join(dir, 'state/escaped.log'))).toBe(false)
  })

  it('a recorded spec of the wrong type (stop.timeout: {}) is a corrupt state, not a crash', () => {
    const dir = tempProject()
    const path = writeState(dir, {web: {...stopped({command: ['sleep', '300'], stop: {timeout: {}}}), status: 'running'}})
    expectCorrupt(dir, path, '/components/web/spec/stop/timeout')
  })

  it('a recorded change spec that is not one, beside valid components, is named with its path', () => {
    const dir = tempProject()
    const change = {spec: {apply: {run: 42}}, specHash: 'sha256:0', status: 'success', targets: {}}
    const path = writeState(dir, {web: stopped({command: ['sleep', '300']}), db: stopped({command: ['sleep', '300']})}, {migrate: change})
    expectCorrupt(dir, path, '/changes/migrate/spec/apply/run must be')
  })

  it('a recorded spec that is not an object is named at its spec', () => {
    const dir = tempProject()
    const path = writeState(dir, {web: stopped({command: ['sleep', '300']}), db: {...stopped(null), spec: 7}})
    expectCorrupt(dir, path, '/components/db/spec must be object')
  })

  it('a spec nested 20,000 deep is a corrupt state, not a stack overflow', () => {
    const dir = tempProject()
    const path = join(writeState(dir, {}), '')
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)
    writeFileSync(path, `{"version":1,"lineage":"x","serial":1,"project":"p","changes":{},"components":{"web":{"specHash":"h","status":"stopped","spec":${deep}}}}`)
    expectCorrupt(dir, path, 'nested deeper than 64 levels')
  })
})
