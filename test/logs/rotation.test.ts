import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {compctl} from '../helpers/cli.js'
import {cleanups} from '../helpers/tmux.js'
import {readState, waitFor} from '../helpers/state.js'
import {project, superviseIn, WAIT_MS} from '../supervise/helpers.js'

const isRoot = process.getuid?.() === 0
const MB = 1024 * 1024
/** Bytes of one burst of the writer: a whole number of lines, past maxSize (1MB). */
const BURST = 1_600_000
/** Every line the writers print: a 10-digit counter and padding, 100 bytes. */
const LINE = /^line (\d{10}) x{83}$/

/**
 * Writes `total` bytes of numbered lines to stdout (its log) in `batch`-byte writes every 10 ms,
 * then on each SIGUSR1 another `total`; creates `written-N` after the Nth burst; never exits.
 */
const WRITER = `
const total = Number(process.argv[2]), batch = Number(process.argv[3])
let n = 0, bursts = 0
const line = () => 'line ' + String(n++).padStart(10, '0') + ' ' + 'x'.repeat(83) + '\\n'
function burst() {
  let left = total
  const tick = () => {
    let chunk = ''
    while (chunk.length < Math.min(batch, left)) chunk += line()
    process.stdout.write(chunk)
    left -= chunk.length
    if (left > 0) setTimeout(tick, 10)
    else require('node:fs').writeFileSync('written-' + ++bursts, '')
  }
  tick()
}
process.on('SIGUSR1', burst)
burst()
setInterval(() => {}, 1 << 30)
`

function writerProject(logs: string, total: number, batch: number): string {
  const dir = project(`version: 1
settings:
  logs: ${logs}
components:
  writer:
    command: ["${process.execPath}", "writer.cjs", "${total}", "${batch}"]
`)
  writeFileSync(join(dir, 'writer.cjs'), WRITER)
  return dir
}

const logDir = (dir: string) => join(dir, 'state/logs')

/** The rotated copies of the writer's log, oldest first. */
function copies(dir: string): string[] {
  return readdirSync(logDir(dir))
    .filter((f) => f.startsWith('writer.log.'))
    .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))
}

/**
 * Reads the copies (oldest first) and the live log as one stream: every copy must decompress,
 * the lines must be in order with none twice. Returns the numbers seen and the lines cut by a
 * rotation's lost window (at most one per rotation).
 */
function checkLines(dir: string, expectedCopies: number): {numbers: number[]; broken: string[]} {
  const names = copies(dir)
  expect(names).toEqual(Array.from({length: expectedCopies}, (_, i) => `writer.log.${expectedCopies - i}.gz`))
  const parts = names.map((name) => gunzipSync(readFileSync(join(logDir(dir), name))).toString('utf8'))
  parts.push(readFileSync(join(logDir(dir), 'writer.log'), 'utf8'))
  const numbers: number[] = []
  const broken: string[] = []
  for (const line of parts.join('').split('\n')) {
    if (line === '' || line.startsWith('compctl: log rotation:')) continue
    const match = LINE.exec(line)
    if (match) numbers.push(Number(match[1]))
    else broken.push(line)
  }
  for (let i = 1; i < numbers.length; i++) if (numbers[i]! <= numbers[i - 1]!) throw new Error(`line ${numbers[i]} follows line ${numbers[i - 1]}: out of order or duplicated`)
  return {numbers, broken}
}

function modes(dir: string): number[] {
  return copies(dir).map((name) => statSync(join(logDir(dir), name)).mode & 0o777)
}

describe('log rotation', () => {
  let umask: number
  // Rotated copies are private whatever the umask: compctl sets the mode itself.
  beforeEach(() => (umask = process.umask(0)))
  afterEach(() => void process.umask(umask))

  it('under supervise keeps a fast writer’s log near maxSize, 3 compressed copies in order, and never restarts it', async () => {
    // 50 MB at up to 5 MB/s (50 KB every 10 ms).
    const dir = writerProject('{maxSize: 1MB, keep: 3}', 50_000_000, 50 * 1024)
    const supervised = await superviseIn(dir)
    const pid = readState(dir).components.writer!.pid!
    const log = join(logDir(dir), 'writer.log')
    let largest = 0
    const began = Date.now()
    while (!existsSync(join(dir, 'written-1'))) {
      largest = Math.max(largest, statSync(log, {throwIfNoEntry: false})?.size ?? 0)
      if (Date.now() - began > 120_000) throw new Error('the writer did not finish in 2 minutes')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    // Checked within 0.5 s of growing: the bound is maxSize plus what 5 MB/s writes in that
    // half second and while a rotation runs, with room for a loaded machine (1.5 s in all).
    expect(largest).toBeLessThanOrEqual(1 * MB + 7.5 * MB)
    // The last rotation is over once the log is small again and its in-progress copy has been
    // renamed into place (the log is emptied before the copy is finished).
    await waitFor(() => statSync(log).size <= 1 * MB && !existsSync(`${log}.rotating`), WAIT_MS, 'the last rotation')

    const {numbers, broken} = checkLines(dir, 3)
    expect(broken.length).toBeLessThanOrEqual(3)
    expect(numbers.at(-1)).toBe(50_000_000 / 100 - 1)
    expect(modes(dir)).toEqual([0o600, 0o600, 0o600])
    const recorded = readState(dir).components.writer!
    expect(recorded.pid).toBe(pid)
    expect(recorded.restarts ?? 0).toBe(0)
    expect(statSync(`/proc/${pid}`).isDirectory()).toBe(true)
    supervised.child.kill('SIGTERM')
    expect((await supervised.done).code).toBe(0)
  }, 180_000)

  it('with apply and `logs --rotate` (cron) rotates the same way, and apply rotates at its end', async () => {
    // 1.6 MB per burst; each SIGUSR1 writes another.
    const dir = writerProject('{maxSize: 1MB, keep: 3}', BURST, 100 * 1024)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const pid = readState(dir).components.writer!.pid!
    const log = join(logDir(dir), 'writer.log')
    for (let burst = 1; burst <= 5; burst++) {
      if (burst > 1) process.kill(pid, 'SIGUSR1')
      await waitFor(() => existsSync(join(dir, `written-${burst}`)), WAIT_MS, `burst ${burst}`)
      const rotate = compctl(['logs', '--rotate'], {cwd: dir})
      expect(rotate.code, rotate.stderr).toBe(0)
      expect(statSync(log).size).toBeLessThan(1 * MB)
    }
    expect(checkLines(dir, 3).numbers.at(-1)).toBe((5 * BURST) / 100 - 1)

    process.kill(pid, 'SIGUSR1')
    await waitFor(() => existsSync(join(dir, 'written-6')), WAIT_MS, 'burst 6')
    const newest = readFileSync(join(logDir(dir), 'writer.log.1.gz'))
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    expect(statSync(log).size).toBeLessThan(1 * MB)
    expect(readFileSync(join(logDir(dir), 'writer.log.2.gz'))).toEqual(newest)
    const {numbers, broken} = checkLines(dir, 3)
    expect(broken).toEqual([])
    expect(numbers.at(-1)).toBe((6 * BURST) / 100 - 1)
    expect(modes(dir)).toEqual([0o600, 0o600, 0o600])
    expect(readState(dir).components.writer!.pid).toBe(pid)
    expect(existsSync(`/proc/${pid}`)).toBe(true)
  }, 120_000)

  it('rotates a change target’s log at the end of apply, by settings.logs', async () => {
    const dir = project(`version: 1
settings:
  logs: {maxSize: 100KB, keep: 2, compress: false}
changes:
  noisy:
    apply: {run: [["${process.execPath}", "-e", "for (let i = 0; i < 3000; i++) console.log('line ' + String(i).padStart(10, '0') + ' ' + 'x'.repeat(83))"]]}
`)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const folder = join(logDir(dir), 'changes/noisy')
    expect(readdirSync(folder).sort()).toEqual(['local.log', 'local.log.1'])
    const copy = readFileSync(join(folder, 'local.log.1'), 'utf8')
    expect(copy).toContain('line 0000002999 ')
    expect(statSync(join(folder, 'local.log')).size).toBe(0)
    expect(statSync(join(folder, 'local.log.1')).mode & 0o777).toBe(0o600)
  }, 60_000)

  it.skipIf(!isRoot && !process.env.CI)(`on a full disk reports the log in one line, exits 1, and leaves the log whole${isRoot ? '' : ' — skipped: mounting a tmpfs needs root'}`, async () => {
    const dir = project(`version: 1
settings:
  logs: {maxSize: 1MB, compress: false}
components:
  writer:
    command: ["${process.execPath}", "-e", "process.stdout.write(require('node:crypto').randomBytes(1200 * 1024).toString('hex').slice(0, 1500 * 1024)); setInterval(() => {}, 1 << 30)"]
`)
    // The state folder on a 2 MB tmpfs: the 1.5 MB log fits, a copy of it does not.
    const state = join(dir, 'state')
    mkdirSync(state)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', state])
    cleanups.push(() => void spawnSync('umount', ['-l', state]))
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    const log = join(logDir(dir), 'writer.log')
    await waitFor(() => (statSync(log, {throwIfNoEntry: false})?.size ?? 0) === 1500 * 1024, WAIT_MS, 'the log to be written')
    const before = readFileSync(log)
    const result = compctl(['logs', '--rotate'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^compctl: could not rotate ${log}: .*ENOSPC`))])
    expect(readFileSync(log)).toEqual(before)
    expect(readdirSync(logDir(dir))).toEqual(['writer.log'])
  }, 60_000)

  it('never follows a planted symlink: the file it points to is neither copied nor emptied', () => {
    const dir = project('version: 1\nsettings:\n  logs: {maxSize: 1KB}\n')
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'secret\n'.repeat(1000))
    mkdirSync(logDir(dir), {recursive: true})
    symlinkSync(victim, join(logDir(dir), 'evil.log'))
    symlinkSync(victim, join(logDir(dir), 'other.log.rotating'))
    writeFileSync(join(logDir(dir), 'other.log'), 'x'.repeat(4096))
    const result = compctl(['logs', '--rotate'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    expect(readFileSync(victim, 'utf8')).toBe('secret\n'.repeat(1000))
    // other.log's copy under way is a symlink planted just now: that rotation is skipped, not redirected.
    expect(readdirSync(logDir(dir)).sort()).toEqual(['evil.log', 'other.log', 'other.log.rotating'])
  })

  it('keep: 0 only empties the log, and a log under maxSize is left alone', async () => {
    const dir = writerProject('{maxSize: 1MB, keep: 0}', BURST, 100 * 1024)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    await waitFor(() => existsSync(join(dir, 'written-1')), WAIT_MS, 'the burst')
    const log = join(logDir(dir), 'writer.log')
    const before = readFileSync(log)
    expect(compctl(['logs', '--rotate'], {cwd: dir}).code).toBe(0)
    expect(statSync(log).size).toBe(0)
    expect(copies(dir)).toEqual([])
    writeFileSync(log, before.subarray(0, 1000))
    expect(compctl(['logs', '--rotate'], {cwd: dir}).code).toBe(0)
    expect(statSync(log).size).toBe(1000)
  }, 60_000)
})
