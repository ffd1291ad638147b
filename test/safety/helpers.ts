import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {afterAll, afterEach, beforeAll, describe} from 'vitest'
import {BIN, testEnv, type CliResult} from '../helpers/cli.js'
import {inCi} from '../locks/etcd-server.js'

/**
 * A describe block that needs something of the machine (root, a mount): skipped with the reason
 * where it is missing, but failing under CI=true, where the safety claims must be proven.
 */
function describeNeeding(title: string, unavailable: string | null, body: () => void): void {
  const skip = unavailable !== null && !inCi()
  if (skip) console.warn(`${title}: skipped: ${unavailable}. Under CI=true it fails instead.`)
  describe.skipIf(skip)(`${title}${skip ? ` (skipped: ${unavailable})` : ''}`, () => {
    beforeAll(() => {
      if (unavailable !== null) throw new Error(`CI is set but this safety test cannot run: ${unavailable}`)
    })
    body()
  })
}

function rootReason(): string | null {
  return process.getuid?.() === 0 ? null : 'it runs as a second user made with useradd, which needs root'
}

/** For tests that make a second user (useradd) and run compctl as it or as root. */
export function describeAsRoot(title: string, body: () => void): void {
  describeNeeding(title, rootReason(), body)
}

function mountReason(): string | null {
  const root = rootReason()
  if (root) return 'mounting a small tmpfs needs root'
  const dir = mkdtempSync(join(tmpdir(), 'compctl-mount-probe-'))
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], {encoding: 'utf8'})
    if (mounted.status !== 0) return `mount -t tmpfs is not permitted here: ${mounted.stderr.trim()}`
    spawnSync('umount', [dir])
    return null
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** For tests on a small tmpfs (a full disk, a read-only folder). */
export function describeWithTmpfs(title: string, body: () => void): void {
  describeNeeding(title, mountReason(), body)
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
}

/** Mounts a tmpfs of `size` (e.g. 256k) on a fresh folder; `ro` mounts it read-only. */
export function mountTmpfs(size: string, options: {readOnly?: boolean} = {}): {dir: string; unmount(): void} {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-tmpfs-'))
  run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir])
  return {
    dir,
    unmount: () => {
      spawnSync('umount', ['-l', dir])
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

export interface TestUser {
  name: string
  uid: number
  gid: number
  /** A group root and this user share, for a shared lock folder. */
  sharedGroup: {name: string; gid: number}
  /** Runs a program as this user (real and effective uid, its groups); returns at once, for daemons. */
  argv(command: string[]): string[]
}

function idOf(flag: '-u' | '-g', name: string): number {
  return Number(spawnSync('id', [flag, name], {encoding: 'utf8'}).stdout.trim())
}

/** A second local user (and a group it shares with root) for the tests of the enclosing describe; removed after them. */
export function useTestUser(): () => TestUser {
  let user: TestUser | undefined
  beforeAll(() => {
    const suffix = randomBytes(3).toString('hex')
    const name = `cct${suffix}`
    const group = `ccg${suffix}`
    run('groupadd', [group])
    run('useradd', ['-M', '-N', '-s', '/bin/sh', '-G', group, name])
    const uid = idOf('-u', name)
    const gid = idOf('-g', name)
    const sharedGid = Number(spawnSync('getent', ['group', group], {encoding: 'utf8'}).stdout.split(':')[2])
    user = {
      name,
      uid,
      gid,
      sharedGroup: {name: group, gid: sharedGid},
      argv: (command) => ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...command],
    }
  })
  afterAll(() => {
    if (!user) return
    // Its processes were started by the tests, each in a tracked process group, and are gone by now.
    spawnSync('userdel', ['-f', user.name])
    spawnSync('groupdel', [user.sharedGroup.name])
  })
  return () => user!
}

/** Runs compctl as `user` (through setpriv) with `env` on top of the test environment. */
export function compctlAs(user: TestUser, args: string[], options: {cwd: string; env?: Record<string, string>; timeoutMs?: number}): CliResult {
  const [command, ...rest] = user.argv([process.execPath, BIN, ...args])
  const result = spawnSync(command!, rest, {cwd: options.cwd, env: testEnv(options.env), encoding: 'utf8', timeout: options.timeoutMs ?? 60_000})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

const sharedFolders: string[] = []
afterEach(() => {
  for (const dir of sharedFolders.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A folder every user may create in (sticky, like /tmp), to serve as TMPDIR for several users; removed after the test. */
export function sharedTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-shared-tmp-'))
  chmodSync(dir, 0o1777)
  sharedFolders.push(dir)
  return dir
}

/** A fresh folder owned by `user` (0755), for its project. */
export function folderOf(user: TestUser, parent: string, name: string): string {
  const dir = join(parent, name)
  mkdirSync(dir)
  run('chown', [`${user.uid}:${user.gid}`, dir])
  return dir
}
