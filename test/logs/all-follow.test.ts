import {appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, compctlAsync} from '../helpers/cli.js'
import {readState, waitFor} from '../helpers/state.js'
import {project, WAIT_MS} from '../supervise/helpers.js'

/** Prints `PID N` and padding 20 times a second: a line's pid tells which run wrote it, N its place in that run. */
const TALKER = `'i=0; while true; do echo "$$ $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); sleep 0.05; done'`

const FILE = `version: 1
settings:
  logs: {maxSize: 1000, keep: 2}
components:
  short: {command: ${TALKER}}
  longer-name: {command: ${TALKER}}
`

const lineCount = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0)

/** The lines printed for `name`: [pid, counter] each, in the order printed. */
function linesOf(output: string, name: string): Array<[number, number]> {
  const prefix = `${name.padEnd('longer-name'.length)} | `
  return output
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => {
      const [pid, n] = line.slice(prefix.length).split(' ')
      return [Number(pid), Number(n)]
    })
}

describe('compctl logs without NAME', () => {
  it('prints the last -n lines of every component, each prefixed with its padded name', async () => {
    const dir = project(FILE)
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    await waitFor(() => lineCount(join(dir, 'state/logs/short.log')) >= 5 && lineCount(join(dir, 'state/logs/longer-name.log')) >= 5, WAIT_MS, 'lines')
    const result = compctl(['logs', '-n', '3'], {cwd: dir})
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(6)
    expect(lines.slice(0, 3).every((l) => /^longer-name \| \d+ \d+ x+$/.test(l))).toBe(true)
    expect(lines.slice(3).every((l) => /^short {7}\| \d+ \d+ x+$/.test(l))).toBe(true)
    // The last lines: consecutive, and the last the file holds at the time.
    const counters = linesOf(result.stdout, 'short').map(([, n]) => n)
    expect(counters).toEqual([counters[0]!, counters[0]! + 1, counters[0]! + 2])
    // --color (a terminal's default) colours the names and nothing else.
    const coloured = compctl(['logs', '-n', '1', '--color'], {cwd: dir}).stdout.split('\n')
    expect(coloured[0]).toMatch(/^\x1b\[\d+mlonger-name\x1b\[\d+m \| \d+ \d+ x+$/)
  }, 60_000)

  it('--follow streams every component, across a rotation and a restart, and picks up one that starts later', async () => {
    const dir = project(FILE)
    expect(compctl(['apply', '--auto-approve', '--target', 'short'], {cwd: dir}).code).toBe(0)
    const first = readState(dir).components.short!.pid!
    const follow = compctlAsync(['logs', '--follow'], {cwd: dir})
    await waitFor(() => linesOf(follow.output().stdout, 'short').length >= 5, WAIT_MS, 'followed lines of short')

    // longer-name starts while following.
    expect(compctl(['apply', '--auto-approve'], {cwd: dir}).code).toBe(0)
    await waitFor(() => linesOf(follow.output().stdout, 'longer-name').length >= 3, WAIT_MS, 'lines of the component started later')

    // A rotation while short runs on: its log past 1000 bytes is copied to short.log.1.gz and emptied.
    await waitFor(() => lineCount(join(dir, 'state/logs/short.log')) >= 25, WAIT_MS, 'short to pass maxSize')
    expect(compctl(['logs', '--rotate'], {cwd: dir}).code).toBe(0)
    expect(existsSync(join(dir, 'state/logs/short.log.1.gz'))).toBe(true)
    const printedAtRotation = linesOf(follow.output().stdout, 'short').length
    await waitFor(() => linesOf(follow.output().stdout, 'short').length >= printedAtRotation + 10, WAIT_MS, 'lines after the rotation')

    // A restart: a new process appends to the same log.
    expect(compctl(['apply', '--auto-approve', '--replace', 'short'], {cwd: dir}).code).toBe(0)
    const second = readState(dir).components.short!.pid!
    expect(second).not.toBe(first)
    await waitFor(() => linesOf(follow.output().stdout, 'short').filter(([pid]) => pid === second).length >= 5, WAIT_MS, 'lines of the restarted process')

    follow.child.kill('SIGINT')
    const result = await follow.done
    expect(result.code).toBe(0)
    expect(result.stderr).not.toContain('truncated')
    const short = linesOf(result.stdout, 'short')
    const before = short.filter(([pid]) => pid === first).map(([, n]) => n)
    // Every line of the first run, across the rotation: none missing, none twice, in order.
    expect(before).toEqual(before.map((_, i) => before[0]! + i))
    expect(before.length).toBeGreaterThan(printedAtRotation)
    const after = short.filter(([pid]) => pid === second).map(([, n]) => n)
    expect(after).toEqual(after.map((_, i) => i))
    // The restarted run's lines come after the first run's.
    expect(short.findIndex(([pid]) => pid === second)).toBeGreaterThan(short.findLastIndex(([pid]) => pid === first))
  }, 120_000)

  it('--follow paused during a rotation prints what it had not read yet from the new copy, then the emptied log', async () => {
    const dir = project(FILE)
    expect(compctl(['apply', '--auto-approve', '--target', 'short'], {cwd: dir}).code).toBe(0)
    const follow = compctlAsync(['logs', '--follow'], {cwd: dir})
    await waitFor(() => linesOf(follow.output().stdout, 'short').length >= 3, WAIT_MS, 'followed lines')
    // Stopped, the follower reads nothing while lines are written, rotated away, and more follow.
    follow.child.kill('SIGSTOP')
    const seenBefore = linesOf(follow.output().stdout, 'short').length
    await waitFor(() => lineCount(join(dir, 'state/logs/short.log')) >= 25, WAIT_MS, 'short to pass maxSize')
    expect(compctl(['logs', '--rotate'], {cwd: dir}).code).toBe(0)
    await waitFor(() => lineCount(join(dir, 'state/logs/short.log')) >= 5, WAIT_MS, 'lines after the rotation')
    follow.child.kill('SIGCONT')
    await waitFor(() => linesOf(follow.output().stdout, 'short').length >= seenBefore + 30, WAIT_MS, 'the follower to catch up')
    follow.child.kill('SIGINT')
    const result = await follow.done
    expect(result.stderr).not.toContain('truncated')
    const counters = linesOf(result.stdout, 'short').map(([, n]) => n)
    expect(counters).toEqual(counters.map((_, i) => counters[0]! + i))
  }, 120_000)

  it('--follow waits out a slow rotation (its copy still being written) instead of taking it for a truncation', async () => {
    const dir = project(FILE)
    const log = join(dir, 'state/logs/short.log')
    mkdirSync(join(dir, 'state/logs'), {recursive: true})
    writeFileSync(log, 'one\ntwo\n')
    const follow = compctlAsync(['logs', 'short', '--follow'], {cwd: dir})
    await waitFor(() => follow.output().stdout === 'one\ntwo\n', WAIT_MS, 'the first lines')
    // A rotation in the order rotateIfLarge does it, its copy held back for 4 s (a disk slow to sync):
    // the in-progress copy is created, the log emptied and written on, then the copy renamed into place.
    writeFileSync(`${log}.rotating`, 'one\ntwo\nthree\n')
    appendFileSync(log, 'three\n')
    truncateSync(log, 0)
    appendFileSync(log, 'four\n')
    await sleep(4000)
    expect(follow.output().stdout).toBe('one\ntwo\n')
    renameSync(`${log}.rotating`, `${log}.1`)
    await waitFor(() => follow.output().stdout.includes('four\n'), WAIT_MS, 'the line after the rotation')
    follow.child.kill('SIGINT')
    const result = await follow.done
    expect(result.stdout).toBe('one\ntwo\nthree\nfour\n')
    expect(result.stderr).not.toContain('truncated')
  }, 60_000)
})
