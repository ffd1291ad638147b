import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Script} from 'node:vm'
import {describe, expect, it} from 'vitest'
import {withLateOptimisation, withoutOptimisation} from '../../src/util/late-optimisation.js'
import {BIN, tempProject, testEnv} from '../helpers/cli.js'

const onMeasuredV8 = /^11\.3\./.test(process.versions.v8)

let compiled = 0
/** Whether V8 takes a code cache made under the flags in force when `cache` was made (each compile under a new name, so V8 cannot answer from the scripts it holds). */
function accepts(source: string, cache: Buffer): boolean {
  return !new Script(source, {cachedData: cache, filename: `late-optimisation-${++compiled}.js`}).cachedDataRejected
}

describe('withLateOptimisation', () => {
  it('returns what the work returns, and passes on what it throws', () => {
    expect(withLateOptimisation(() => 42)).toBe(42)
    expect(() =>
      withLateOptimisation(() => {
        throw new Error('inside')
      }),
    ).toThrow('inside')
  })

  it.runIf(onMeasuredV8)('changes V8 flags only while the work runs: code caches made before are taken again after', () => {
    const source = `(function () { return ${Math.random()} })`
    const cache = new Script(source, {filename: 'late-optimisation-made.js'}).createCachedData()
    expect(accepts(source, cache)).toBe(true)
    // Inside, the flags differ (so V8 refuses the cache): the delay is in force.
    expect(withLateOptimisation(() => accepts(source, cache))).toBe(false)
    expect(accepts(source, cache)).toBe(true)
    expect(() =>
      withLateOptimisation(() => {
        throw new Error('inside')
      }),
    ).toThrow()
    expect(accepts(source, cache)).toBe(true)
  })

  it.runIf(onMeasuredV8)('keeps V8 from optimising yaml\'s lexer while a 100-component file is parsed', () => {
    const dir = tempProject()
    const components = Array.from({length: 100}, (_, i) => `  p${String(i).padStart(3, '0')}: {command: [sleep, "3600"]}`).join('\n')
    writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: late\ncomponents:\n${components}\n`)
    // --trace-opt names each function V8 queues for TurboFan (method names survive minifying).
    const result = spawnSync(process.execPath, ['--trace-opt', BIN, 'validate'], {cwd: dir, env: testEnv(), encoding: 'utf8'})
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('compctl.yaml: valid (100 components')
    expect(result.stdout.match(/compiling method .*<JSFunction (lex|parseNext|parseFlowCollection|parsePlainScalar) /g) ?? []).toEqual([])
  })
})

describe('withoutOptimisation', () => {
  it.runIf(onMeasuredV8)('changes V8 flags until the returned function is called, which may be called again', () => {
    const source = `(function () { return ${Math.random()} })`
    const cache = new Script(source, {filename: 'without-optimisation-made.js'}).createCachedData()
    const optimiseAgain = withoutOptimisation(60_000)
    expect(accepts(source, cache)).toBe(false)
    optimiseAgain()
    expect(accepts(source, cache)).toBe(true)
    optimiseAgain()
    expect(accepts(source, cache)).toBe(true)
  })

  it.runIf(onMeasuredV8)('changes them back by itself once its time is up', async () => {
    const source = `(function () { return ${Math.random()} })`
    const cache = new Script(source, {filename: 'without-optimisation-timed.js'}).createCachedData()
    withoutOptimisation(20)
    expect(accepts(source, cache)).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(accepts(source, cache)).toBe(true)
  })
})
