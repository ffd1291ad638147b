import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {setFlagsFromString} from 'node:v8'
import {tuningApplies, withBaselineWasm, withLateOptimisation, withoutOptimisation} from '../../src/util/late-optimisation.js'
import {BIN, ROOT, tempProject, testEnv} from '../helpers/cli.js'
import {flagsProbe} from '../helpers/v8-flags.js'

describe.each([
  ['withLateOptimisation', withLateOptimisation],
  ['withBaselineWasm', withBaselineWasm],
])('%s', (_, withTuning) => {
  it('returns what the work returns, and passes on what it throws', () => {
    expect(withTuning(() => 42)).toBe(42)
    expect(() =>
      withTuning(() => {
        throw new Error('inside')
      }),
    ).toThrow('inside')
    // What withBaselineWasm leaves off comes back with the end of withoutOptimisation.
    withoutOptimisation(0)()
  })
})

describe('withLateOptimisation', () => {

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

/**
 * A WebAssembly module of one function, `f(n)`: the sum of 1..n, by a loop (hot enough, called
 * with large n, for V8 to optimise it). V8 reuses what it compiled for the same bytes, so each
 * module is told apart by a custom section named `tag` (one letter).
 */
const sumModule = (tag: string): WebAssembly.Module =>
  new WebAssembly.Module(
    Buffer.concat([
      Buffer.from(
        [
          '0061736d01000000', // magic, version 1
          '01060160017f017f', // types: (i32) -> i32
          '03020100', // functions: one, of that type
          '070501016600' + '00', // exports: "f", function 0
          '0a230121' + '01017f', // code: one body of 33 bytes, one i32 local (the sum)
          '0240' + '0340' + '2000450d01', // block, loop: leave when n is 0
          '200120006a2101' + '200041016b2100' + '0c00' + '0b0b', // sum += n; n -= 1; again
          '20010b', // the sum
          '000201', // a custom section of 2 bytes: a name of 1 byte, the tag
        ].join(''),
        'hex',
      ),
      Buffer.from(tag, 'latin1'),
    ]),
  )

/** Whether V8 runs `f` as TurboFan's code, after calling it hot for up to `forMs`. */
async function optimisedWhenHot(module: WebAssembly.Module, forMs: number): Promise<boolean> {
  setFlagsFromString('--allow-natives-syntax')
  const isTurboFan = new Function('f', 'return %IsTurboFanFunction(f)') as (f: unknown) => boolean
  setFlagsFromString('--no-allow-natives-syntax')
  const f = new WebAssembly.Instance(module).exports.f as (n: number) => number
  expect(f(10)).toBe(55)
  const started = Date.now()
  while (Date.now() - started < forMs && !isTurboFan(f)) {
    f(100_000)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return isTurboFan(f)
}

describe('withBaselineWasm', () => {
  it.runIf(tuningApplies)('compiles WebAssembly that V8 never optimises, however hot; tier-up is back once withoutOptimisation ends', async () => {
    const flagsUnchanged = flagsProbe()
    const baseline = withBaselineWasm(() => sumModule('b'))
    // Tier-up stays off until the Ink view's first second is over.
    expect(flagsUnchanged()).toBe(false)
    expect(await optimisedWhenHot(baseline, 500)).toBe(false)
    withoutOptimisation(60_000)()
    expect(flagsUnchanged()).toBe(true)
    // The same function, compiled as usual: V8 does optimise it (so the check above can fail).
    expect(await optimisedWhenHot(sumModule('u'), 5_000)).toBe(true)
  })

  it('is how dist/ink-view.cjs compiles yoga', () => {
    const {sources} = JSON.parse(readFileSync(join(ROOT, 'dist/ink-view.cjs.map'), 'utf8')) as {sources: string[]}
    expect(sources.filter((source) => source.endsWith('src/util/late-optimisation.ts'))).toHaveLength(1)
    const bundle = readFileSync(join(ROOT, 'dist/ink-view.cjs'), 'latin1')
    expect(bundle.match(/\w+\(\(\)=>new WebAssembly\.Module\(Buffer\.from\("AGFzbQ/g) ?? []).toHaveLength(1)
  })
})
