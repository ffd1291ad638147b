import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'
import {buildHolderScript, HolderProcess} from './harness.js'

describe('compctl locks', () => {
  let holderScript: {script: string; cleanup(): void}
  beforeAll(async () => {
    holderScript = await buildHolderScript()
  })
  afterAll(() => holderScript?.cleanup())

  function projectWithLocks(): {dir: string; project: string; locksDir: string} {
    const dir = tempProject()
    const project = `cmd-${randomBytes(4).toString('hex')}`
    writeFileSync(
      join(dir, 'compctl.yaml'),
      [`version: 1`, `project: ${project}`, `settings:`, `  locks: {dir: lock-files}`, `locks:`, `  restart: {holders: 1}`, `  users: {holders: 2}`, ''].join('\n'),
    )
    return {dir, project, locksDir: join(dir, 'lock-files')}
  }

  it('lists declared locks and found ones with holders and queue; `locks release` frees a holder', async () => {
    const {dir, project, locksDir} = projectWithLocks()
    const settings = {dir: locksDir}
    const holder = new HolderProcess(holderScript.script, {settings, project, lock: 'restart', step: 'restart:msgq'})
    const heldId = String((await holder.waitFor('granted')).id)
    const waiter = new HolderProcess(holderScript.script, {settings, project, lock: 'restart', step: 'restart:dnsd'})
    await waiter.waitFor('waiting')
    const other = new HolderProcess(holderScript.script, {settings, project, lock: 'undeclared'})
    await other.waitFor('granted')

    const text = compctl(['locks'], {cwd: dir})
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`Locks of project ${project} (file backend: ${join(locksDir, project)})`)
    expect(text.stdout).toMatch(/^restart: held 1\/1, 1 waiting$/m)
    expect(text.stdout).toContain(`holder  ${heldId}  ${project}@`)
    expect(text.stdout).toContain(`pid ${holder.pid}  restart:msgq  since `)
    expect(text.stdout).toMatch(new RegExp(`^ +1\\. [0-9a-f]{12}  ${project}@\\S+ pid ${waiter.pid}  restart:dnsd`, 'm'))
    expect(text.stdout).toMatch(/^users: free \(holders: 2\)$/m)
    expect(text.stdout).toMatch(/^undeclared: held 1\/1, not declared in this file$/m)

    const json = compctl(['locks', '--json'], {cwd: dir})
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as {project: string; backend: string; locks: Array<{lock: string; declared: boolean; limit: number; holders: Array<{id: string; pid: number}>; queue: Array<{pid: number}>}>}
    expect(report).toMatchObject({project, backend: 'file'})
    expect(report.locks.map((l) => [l.lock, l.declared, l.limit])).toEqual([
      ['restart', true, 1],
      ['undeclared', false, 1],
      ['users', true, 2],
    ])
    const restart = report.locks[0]!
    expect(restart.holders.map((h) => [h.id, h.pid])).toEqual([[heldId, holder.pid]])
    expect(restart.queue.map((h) => h.pid)).toEqual([waiter.pid])

    const unknown = compctl(['locks', 'release', 'restart', 'ffffffffffff'], {cwd: dir})
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('lock "restart" of project')
    expect(unknown.stderr).toContain(`${heldId} (holder)`)

    const released = compctl(['locks', 'release', 'restart', heldId], {cwd: dir})
    expect(released.code).toBe(0)
    expect(released.stdout).toContain(`Released lock restart: removed holder ${heldId}`)
    expect(String((await holder.waitFor('lost')).reason)).toContain('compctl locks release')
    await waiter.waitFor('granted')
    const after = JSON.parse(compctl(['locks', '--json'], {cwd: dir}).stdout) as typeof report
    expect(after.locks[0]!.holders.map((h) => h.pid)).toEqual([waiter.pid])
  })

  it('reports an unreachable etcd as an error naming the endpoints, without a stack trace', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), ['version: 1', 'settings:', '  locks: {backend: etcd, etcd: {endpoints: ["http://127.0.0.1:9"]}}', ''].join('\n'))
    const result = compctl(['locks'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('cannot use etcd at http://127.0.0.1:9 (settings.locks.etcd.endpoints)')
    expect(result.stderr).not.toContain('    at ')
  })
})
