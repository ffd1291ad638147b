import {spawnSync} from 'node:child_process'
import {chownSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'
import {compctlAs, describeAsRoot, folderOf, sharedTmp, useTestUser} from './helpers.js'

/*
 * Item 3: the lock folder. The default one is per user and private; a folder shared on purpose
 * (settings.locks.dir, group-writable) keeps working, and nothing another user plants in it can
 * make compctl follow a symlink, read a file for it, delete what it did not write, wait forever
 * or crash.
 */

const lockedComponent = (project: string, locksDir?: string) =>
  [
    'version: 1',
    `project: ${project}`,
    ...(locksDir ? ['settings:', `  locks: {dir: ${JSON.stringify(locksDir)}}`] : []),
    'locks:',
    '  restart: {}',
    'components:',
    '  web:',
    '    command: [sleep, "300"]',
    '    lock: restart',
    '',
  ].join('\n')

function projectAsRoot(yaml: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), yaml)
  return dir
}

/** Runs as a command of its own, as the user (no compctl): plants files. */
function asUser(argv: string[], user: {argv(command: string[]): string[]}): void {
  const [command, ...args] = user.argv(argv)
  const result = spawnSync(command!, args, {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`${argv.join(' ')} as the test user failed: ${result.stderr}`)
}

describeAsRoot('safety: the lock folder (item 3)', () => {
  const user = useTestUser()

  it('the default folder is per user: root and a second user both take named locks; each folder is 0700 and its owner\'s', () => {
    const tmp = sharedTmp()
    const project = `p${randomBytes(3).toString('hex')}`
    const rootDir = projectAsRoot(lockedComponent(project))
    const asRoot = compctl(['apply', '--auto-approve'], {cwd: rootDir, env: {TMPDIR: tmp}})
    expect(asRoot.code, asRoot.stdout + asRoot.stderr).toBe(0)

    const userDir = folderOf(user(), tmp, 'user-project')
    writeFileSync(join(userDir, 'compctl.yaml'), lockedComponent(project))
    const asOther = compctlAs(user(), ['apply', '--auto-approve'], {cwd: userDir, env: {TMPDIR: tmp}})
    expect(asOther.code, asOther.stdout + asOther.stderr).toBe(0)
    compctlAs(user(), ['destroy', '--auto-approve'], {cwd: userDir, env: {TMPDIR: tmp}})

    for (const [uid, folder] of [[0, join(tmp, 'compctl-locks-0')], [user().uid, join(tmp, `compctl-locks-${user().uid}`)]] as const) {
      const info = lstatSync(folder)
      expect(info.isDirectory()).toBe(true)
      expect(info.uid).toBe(uid)
      expect(info.mode & 0o777).toBe(0o700)
      expect(statSync(join(folder, project)).mode & 0o777).toBe(0o700)
    }
  })

  it.each([
    ['made first by another user', 'belongs to uid'],
    ['a symlink planted by another user', 'is a symlink'],
  ])('a default lock folder %s is refused with one line naming it; nothing is made through it', (_, message) => {
    const tmp = sharedTmp()
    const planted = join(tmp, 'compctl-locks-0')
    const target = folderOf(user(), tmp, 'attacker-target')
    if (message === 'is a symlink') asUser(['ln', '-s', target, planted], user())
    else asUser(['mkdir', '-m', '0777', planted], user())
    const dir = projectAsRoot(lockedComponent('victim'))
    const result = compctl(['apply', '--auto-approve'], {cwd: dir, env: {TMPDIR: tmp}})
    expect(result.code).toBe(1)
    expect(result.stdout + result.stderr).toContain(`${planted}: the lock folder ${message}`)
    expect(result.stdout + result.stderr).not.toContain('internal error')
    expect(readdirSync(target)).toEqual([])
    if (message !== 'is a symlink') expect(readdirSync(planted)).toEqual([])
  })

  /** `<tmp>/locks`, root's and the test user's group's (2770): a settings.locks.dir shared by a group. */
  const groupSharedFolder = (tmp: string): string => {
    const shared = join(tmp, 'locks')
    mkdirSync(shared)
    chownSync(shared, 0, user().sharedGroup.gid)
    chmodSync(shared, 0o2770)
    return shared
  }

  it('a project folder planted as a symlink in a shared lock folder is refused; nothing is made through it', () => {
    const tmp = sharedTmp()
    const shared = groupSharedFolder(tmp)
    const project = `p${randomBytes(3).toString('hex')}`
    const target = folderOf(user(), tmp, 'attacker-target')
    asUser(['ln', '-s', target, join(shared, project)], user())
    const result = compctl(['apply', '--auto-approve'], {cwd: projectAsRoot(lockedComponent(project, shared))})
    expect(result.code).toBe(1)
    expect(result.stdout + result.stderr).toContain(`${join(shared, project)}: the lock folder is a symlink`)
    expect(readdirSync(target)).toEqual([])
  })

  it('a group-shared settings.locks.dir works for both users; forged, malformed, FIFO and symlinked entries are reported once and ignored', () => {
    const tmp = sharedTmp()
    const shared = groupSharedFolder(tmp)
    const project = `p${randomBytes(3).toString('hex')}`
    const rootDir = projectAsRoot(lockedComponent(project, shared))
    const first = compctl(['apply', '--auto-approve'], {cwd: rootDir})
    expect(first.code, first.stdout + first.stderr).toBe(0)

    // The group member uses the same folder for its own compctl.
    const userDir = folderOf(user(), tmp, 'user-project')
    writeFileSync(join(userDir, 'compctl.yaml'), lockedComponent(project, shared))
    const theirs = compctlAs(user(), ['apply', '--auto-approve'], {cwd: userDir})
    expect(theirs.code, theirs.stdout + theirs.stderr).toBe(0)
    expect(compctlAs(user(), ['destroy', '--auto-approve'], {cwd: userDir}).code).toBe(0)

    // Then plants what a hostile group member could.
    const lockDir = join(shared, project, 'restart')
    const secret = join(tmp, 'root-only-secret')
    writeFileSync(secret, 'TOP-SECRET-CONTENTS\n', {mode: 0o600})
    const forged = JSON.stringify({project, host: hostname(), pid: 1, startTime: null, id: 'aaaaaaaaaaaa', holders: 1, requested: new Date().toISOString()})
    const entries = {
      forged: join(lockDir, '0000000000000001.aaaaaaaaaaaa.json'),
      notJson: join(lockDir, '0000000000000002.bbbbbbbbbbbb.json'),
      fifo: join(lockDir, '0000000000000003.cccccccccccc.json'),
      symlink: join(lockDir, '0000000000000004.dddddddddddd.json'),
      choosing: join(lockDir, 'choosing.eeeeeeeeeeee'),
    }
    asUser(['sh', '-c', `printf '%s' '${forged}' > ${entries.forged}`], user())
    asUser(['sh', '-c', `echo 'root:x:0:0' > ${entries.notJson}`], user())
    asUser(['mkfifo', entries.fifo], user())
    asUser(['ln', '-s', secret, entries.symlink], user())
    asUser(['ln', '-s', secret, entries.choosing], user())
    const temporary = join(lockDir, '.tmp.999999.ffffffffffff')
    asUser(['touch', temporary], user())

    const down = compctl(['destroy', '--auto-approve'], {cwd: rootDir, timeoutMs: 30_000})
    const printed = down.stdout + down.stderr
    expect(down.code, printed).toBe(0)
    for (const path of Object.values(entries)) {
      expect(printed.split(`${path}: ignored`).length - 1, `${path} reported once`).toBe(1)
      expect(lstatSync(path), `${path} left in place`).toBeTruthy()
    }
    expect(printed).not.toContain('TOP-SECRET')
    expect(existsSync(temporary)).toBe(true)
    expect(readFileSync(secret, 'utf8')).toBe('TOP-SECRET-CONTENTS\n')

    const status = compctl(['locks'], {cwd: rootDir, timeoutMs: 30_000})
    expect(status.code, status.stdout + status.stderr).toBe(0)
    expect(status.stdout + status.stderr).not.toContain('internal error')
    expect(status.stdout + status.stderr).not.toContain('TOP-SECRET')
  })
})
