import {spawnSync} from 'node:child_process'
import {readdirSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {randomBytes} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {BIN, tempProject, testEnv} from '../helpers/cli.js'

/*
 * Item 4: every file compctl writes is 0600 and every folder it creates 0700, whatever the umask:
 * the state holds env values, logs hold what commands print.
 */

/** Every path below `dir` (itself excluded) with its mode. */
function modesBelow(dir: string): Array<{path: string; folder: boolean; mode: number}> {
  const found: Array<{path: string; folder: boolean; mode: number}> = []
  for (const entry of readdirSync(dir, {withFileTypes: true, recursive: true})) {
    const path = join(entry.parentPath, entry.name)
    const info = statSync(path)
    found.push({path, folder: info.isDirectory(), mode: info.mode & 0o7777})
  }
  return found
}

/** compctl ARGS under a given umask (set by a shell that then execs node). */
function compctlWithUmask(umask: string, args: string[], cwd: string): {code: number | null; output: string} {
  const result = spawnSync('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, BIN, ...args], {
    cwd,
    env: testEnv({XDG_CACHE_HOME: join(cwd, 'cache')}),
    encoding: 'utf8',
    timeout: 60_000,
  })
  return {code: result.status, output: result.stdout + result.stderr}
}

describe('safety: file modes (item 4)', () => {
  it.each(['000', '022', '277'])('under umask %s, the state, its backup, logs, change logs, saved plans, lock folders and parsed files are 0600 / 0700', (umask) => {
    const dir = tempProject()
    const project = `modes${randomBytes(3).toString('hex')}`
    writeFileSync(
      join(dir, 'compctl.yaml'),
      [
        'version: 1',
        `project: ${project}`,
        'locks:',
        '  deploy: {}',
        'components:',
        '  web:',
        '    command: [sh, -c, "echo started; exec sleep 300"]',
        '    env: {API_TOKEN: s3cret-token}',
        '    lock: deploy',
        '    hooks: {preStart: "echo hook"}',
        'changes:',
        '  migrate:',
        '    apply: {run: [[echo, migrated]]}',
        '',
      ].join('\n'),
    )
    const planned = compctlWithUmask(umask, ['plan', '--out', 'saved.plan'], dir)
    expect(planned.code, planned.output).toBe(0)
    const applied = compctlWithUmask(umask, ['apply', 'saved.plan'], dir)
    expect(applied.code, applied.output).toBe(0)
    // A second write makes the backup.
    const destroyed = compctlWithUmask(umask, ['destroy', '--auto-approve'], dir)
    expect(destroyed.code, destroyed.output).toBe(0)

    expect(statSync(join(dir, 'saved.plan')).mode & 0o777).toBe(0o600)
    const written = modesBelow(join(dir, 'state'))
    expect(written.map((entry) => entry.path.slice(dir.length + 1)).sort()).toEqual(
      expect.arrayContaining(['state/compctl.state.json', 'state/compctl.state.json.backup', 'state/logs', 'state/logs/web.log']),
    )
    expect(written.some((entry) => entry.path.includes('migrate'))).toBe(true)
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700)
    for (const entry of written) expect(entry.mode, entry.path).toBe(entry.folder ? 0o700 : 0o600)

    const cached = modesBelow(join(dir, 'cache'))
    expect(cached.filter((entry) => !entry.folder)).toHaveLength(1)
    for (const entry of [{path: join(dir, 'cache'), folder: true, mode: statSync(join(dir, 'cache')).mode & 0o7777}, ...cached])
      expect(entry.mode, entry.path).toBe(entry.folder ? 0o700 : 0o600)

    const locks = join(tmpdir(), `compctl-locks-${process.getuid!()}`)
    expect(statSync(locks).mode & 0o777).toBe(0o700)
    for (const entry of modesBelow(join(locks, project))) expect(entry.mode, entry.path).toBe(entry.folder ? 0o700 : 0o600)
  })
})
