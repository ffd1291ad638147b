import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {compctl, ROOT} from '../helpers/cli.js'

describe('compctl --version', () => {
  // main.ts answers --version itself, without loading oclif: it must print what oclif would.
  it("prints oclif's user agent for the project, exit 0", async () => {
    const config = await Config.load(ROOT)
    const result = compctl(['--version'], {cwd: ROOT})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${config.userAgent}\n`)
    expect(result.stdout).toMatch(/^compctl\/\d+\.\d+\.\d+\S* \S+-\S+ node-v\d+/)
  })
})
