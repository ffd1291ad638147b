import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../helpers/cli.js'

describe('generated types and validators', () => {
  it('are up to date with schemas/ (run `npm run gen:types` after editing a schema)', () => {
    let failure = ''
    try {
      execFileSync(process.execPath, ['scripts/gen-types.mjs', '--check'], {cwd: ROOT, encoding: 'utf8', stdio: 'pipe'})
    } catch (error) {
      failure = String((error as {stderr?: string}).stderr)
    }
    expect(failure).toBe('')
  })
})
