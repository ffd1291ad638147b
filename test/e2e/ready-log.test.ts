import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'

/** A component that says `listening` on its first start only: a later start never logs it again. */
const file = (run: number) => `version: 1
components:
  app:
    command: ["sh", "-c", "if [ -e once ]; then exec sleep 30; fi; touch once; echo listening; exec sleep 30"]
    env: { RUN: "${run}" }
    ready: { log: "^listening$", timeout: 1s }
`

describe('ready.log through apply', () => {
  it('a restart is not made ready by the line its previous run wrote to the same log', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), file(1))
    const first = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(first.stderr + first.stdout).not.toMatch(/not ready/)
    expect(first.code).toBe(0)

    writeFileSync(join(dir, 'compctl.yaml'), file(2))
    const second = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(second.code).toBe(1)
    expect(second.stdout + second.stderr).toContain('not ready: log /^listening$/ did not hold within 1.0s (last: no matching line yet)')
  })
})
