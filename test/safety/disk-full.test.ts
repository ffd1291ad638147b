import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {afterEach, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'
import {launchedProcesses} from '../helpers/state.js'
import {describeWithTmpfs, mountTmpfs} from './helpers.js'

/*
 * Item 5: a full disk or a read-only state folder is an error of one line naming the path and the
 * cause; a process whose launch cannot be recorded is stopped before compctl exits.
 */

const mounts: Array<{unmount(): void}> = []
const projects: string[] = []
afterEach(() => {
  // Were the process not stopped (the failure this tests for), it must not outlive the test.
  for (const dir of projects.splice(0)) for (const {pid} of launchedProcesses(dir)) process.kill(-pid, 'SIGKILL')
  for (const mount of mounts.splice(0)) mount.unmount()
})

function expectOneLineFault(output: string, path: string, cause: string): void {
  expect(output).toContain(`${path}: cannot`)
  expect(output).toContain(cause)
  expect(output).not.toContain('internal error')
  expect(output).not.toMatch(/^\s+at /m)
}

describeWithTmpfs('safety: a full disk and a read-only state folder (item 5)', () => {
  it('the state filling up between launch and record: one line, the process stopped, no temporaries left', () => {
    const disk = mountTmpfs('256k')
    mounts.push(disk)
    const dir = join(disk.dir, 'project')
    mkdirSync(dir)
    projects.push(dir)
    // preStart runs after the intent is written and before the launch: it fills the disk, so the
    // launch happens and its record cannot be written.
    const marker = `full-${randomBytes(4).toString('hex')}`
    writeFileSync(
      join(dir, 'compctl.yaml'),
      [
        'version: 1',
        'components:',
        '  web:',
        `    command: [sh, -c, "exec sleep 300", ${marker}]`,
        `    hooks: {preStart: "dd if=/dev/zero of=${join(disk.dir, 'filler')} bs=4k >/dev/null 2>&1; true"}`,
        '',
      ].join('\n'),
    )
    const result = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(result.code).toBe(1)
    expectOneLineFault(result.stdout + result.stderr, join(dir, 'state/compctl.state.json'), 'no space left on the device (ENOSPC)')
    expect(launchedProcesses(dir)).toEqual([])
    expect(readdirSync(join(dir, 'state')).filter((name) => name.includes('.tmp-'))).toEqual([])
  })

  it('a read-only state folder: one line naming it, nothing launched', () => {
    const disk = mountTmpfs('64k', {readOnly: true})
    mounts.push(disk)
    const state = disk.dir
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), ['version: 1', 'settings:', `  stateDir: ${JSON.stringify(state)}`, 'components:', '  web:', '    command: [sleep, "300"]', ''].join('\n'))
    const result = compctl(['apply', '--auto-approve'], {cwd: dir})
    expect(result.code).toBe(1)
    expectOneLineFault(result.stdout + result.stderr, join(state, 'compctl.lock'), 'the file system is read-only (EROFS)')
    expect(launchedProcesses(dir)).toEqual([])
  })
})
