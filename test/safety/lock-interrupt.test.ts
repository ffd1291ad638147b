import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {FileLockBackend} from '../../src/locks/file-backend.js'
import {compctlAsync, tempProject} from '../helpers/cli.js'
import {waitFor} from '../helpers/state.js'
import {buildHolderScript, HolderProcess} from '../locks/harness.js'

/* Item 6: one Ctrl-C (or SIGTERM) ends a wait for a named lock at once; the request leaves the queue; exit 130. */

describe('safety: a signal while waiting for a named lock (item 6)', () => {
  let holderScript: {script: string; cleanup(): void}
  beforeAll(async () => {
    holderScript = await buildHolderScript()
  })
  afterAll(() => holderScript?.cleanup())

  it.each(['SIGINT', 'SIGTERM'] as const)('one %s ends the wait at once, withdraws the request and exits 130', async (signal) => {
    const dir = tempProject()
    const project = `wait${randomBytes(3).toString('hex')}`
    const locksDir = join(dir, 'lock-files')
    writeFileSync(
      join(dir, 'compctl.yaml'),
      ['version: 1', `project: ${project}`, 'settings:', '  locks: {dir: lock-files}', 'locks:', '  deploy: {}', 'components:', '  web:', '    command: [sleep, "300"]', '    lock: deploy', ''].join('\n'),
    )
    const holder = new HolderProcess(holderScript.script, {settings: {dir: locksDir}, project, lock: 'deploy'})
    await holder.waitFor('granted')

    const apply = compctlAsync(['apply', '--auto-approve'], {cwd: dir})
    await waitFor(() => apply.output().stdout.includes('waiting for lock deploy'), 30_000, 'the apply to wait for the lock')
    const signalled = performance.now()
    apply.child.kill(signal)
    const result = await apply.done
    expect(result.code, result.stdout + result.stderr).toBe(130)
    // "At once": well under the lock backend's 1s recheck, with room for a loaded machine.
    expect(performance.now() - signalled).toBeLessThan(5_000)

    const [status] = await new FileLockBackend(locksDir, project).status()
    expect(status?.queue).toEqual([])
    expect(status?.holders.map((h) => h.pid)).toEqual([holder.pid])
  })
})
