import {spawnSync} from 'node:child_process'
import {afterAll, beforeAll} from 'vitest'

/**
 * A second local user for an attacker's test, made (useradd) before the file's tests and removed
 * after them; named with `prefix` and this process's pid, so parallel runs never share or delete
 * each other's. Making one needs root: `needRoot` skips a test without it, and fails it under CI,
 * which runs as root.
 */
export function otherUserForTests(prefix: string): {uid: () => number; needRoot: (skip: (note: string) => void) => void} {
  const isRoot = process.getuid?.() === 0
  const name = `${prefix}-${process.pid}`
  let uid: number | null = null
  beforeAll(() => {
    if (!isRoot) return
    const made = spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name], {encoding: 'utf8'})
    if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr}`)
    uid = Number(spawnSync('id', ['-u', name], {encoding: 'utf8'}).stdout.trim())
  })
  afterAll(() => {
    if (uid !== null) spawnSync('userdel', [name])
  })
  return {
    uid: () => {
      if (uid === null) throw new Error(`no user ${name}: call needRoot first`)
      return uid
    },
    needRoot: (skip) => {
      if (isRoot) return
      if (process.env.CI === 'true') throw new Error('this test needs root (to create a second user with useradd), and CI runs as root')
      skip('needs root to create a second user with useradd')
    },
  }
}
