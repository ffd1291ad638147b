import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {tuningApplies, withLateOptimisation, withoutOptimisation} from '../../src/util/late-optimisation.js'
import {BIN, tempProject, testEnv} from '../helpers/cli.js'
import {flagsProbe} from '../helpers/v8-flags.js'

describe('withLateOptimisation', () => {
  it('returns what the work returns, and passes on what it throws', () => {
    expect(withLateOptimisation(() => 42)).toBe(42)
    expect(() =>
      withLateOptimisation(() => {
        throw new Error('inside')
      }),
    ).toThrow('inside')
  })

  it.runIf(tuningApplies)('changes V8 flags only while the work runs: code caches made before are taken again after', () => {
    const flagsUnchanged = flagsProbe()
    expect(flagsUnchanged()).toBe(true)
    // Inside, the flags differ (so V8 refuses the cache): the delay is in force.
    expect(withLateOptimisation(() => flagsUnchanged())).toBe(false)
    expect(flagsUnchanged()).toBe(true)
    expect(() =>
      withLateOptimisation(() => {
        throw new Error('inside')
      }),
    ).toThrow()
    expect(flagsUnchanged()).toBe(true)
  })

  it.runIf(tuningApplies)('keeps V8 from optimising yaml\'s lexer while a 100-component file is parsed', () => {
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
  it.runIf(tuningApplies)('changes V8 flags until the returned function is called, which may be called again', () => {
    const flagsUnchanged = flagsProbe()
    const optimiseAgain = withoutOptimisation(60_000)
    expect(flagsUnchanged()).toBe(false)
    optimiseAgain()
    expect(flagsUnchanged()).toBe(true)
    optimiseAgain()
    expect(flagsUnchanged()).toBe(true)
  })

  it.runIf(tuningApplies)('changes them back by itself once its time is up', async () => {
    const flagsUnchanged = flagsProbe()
    withoutOptimisation(20)
    expect(flagsUnchanged()).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(flagsUnchanged()).toBe(true)
  })
})
