import {readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, compctlAsync, tempProject} from '../helpers/cli.js'
import {expectEveryLaunchTracked, launchedProcesses, readState} from '../helpers/state.js'

/*
 * The kill -9 crash test of test/e2e/apply.test.ts, on 100 components: with many steps writing
 * the state at once, compctl killed at any moment still never leaves a process untracked.
 */

const COMPONENTS = 100
const ROUNDS = 8

function hundredComponents(dir: string): void {
  const lines = ['version: 1', 'settings:', '  parallelism: 16', 'components:']
  for (let i = 0; i < COMPONENTS; i++) lines.push(`  c${i}:`, '    command: [sleep, "300"]', ...(i % 10 === 0 ? [] : [`    dependsOn: [c${i - (i % 10)}]`]))
  writeFileSync(join(dir, 'compctl.yaml'), lines.join('\n') + '\n')
}

describe('safety: kill -9 with 100 components', () => {
  it(`kill -9 of compctl at ${ROUNDS} random moments of a 100-component apply never loses a process or tears the state`, {timeout: 600_000}, async () => {
    const dir = tempProject()
    hundredComponents(dir)
    for (let round = 0; round < ROUNDS; round++) {
      const running = compctlAsync(round % 2 === 0 ? ['apply', '--auto-approve'] : ['destroy', '--auto-approve'], {cwd: dir})
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 2500)))
      running.child.kill('SIGKILL')
      await running.done
      expectEveryLaunchTracked(dir, round)
    }
    const final = compctl(['apply', '--auto-approve'], {cwd: dir, timeoutMs: 300_000})
    expect(final.code, final.stdout + final.stderr).toBe(0)
    const live = launchedProcesses(dir)
    expect(live).toHaveLength(COMPONENTS)
    expect(new Set(live.map((p) => p.pid))).toEqual(new Set(Object.values(readState(dir).components).map((c) => c.pid)))
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
    const down = compctl(['destroy', '--auto-approve'], {cwd: dir, timeoutMs: 300_000})
    expect(down.code, down.stdout + down.stderr).toBe(0)
    expect(launchedProcesses(dir)).toEqual([])
    expect(readdirSync(join(dir, 'state')).sort()).toEqual(['compctl.state.json', 'compctl.state.json.backup', 'logs'])
  })
})
