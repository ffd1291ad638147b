import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {readStartTime} from '../../src/process/observe.js'
import {procScanCount, signalProcess, stopProcess} from '../../src/process/stop.js'
import {trackGroup} from '../helpers/cli.js'
import {isRunning, launchTracked, liveGroupMembers, procStat, readText, waitFor, workspace} from './helpers.js'

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

describe('stopProcess', () => {
  it('stops a process that respects SIGTERM', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sleep', '30'], cwd: dir, logFile: log})
    const progress: string[] = []
    const result = await stopProcess(launched, {onProgress: (message) => progress.push(message)})
    expect(result.outcome).toBe('stopped')
    expect(result.detail).toMatch(/^stopped by SIGTERM in /)
    expect(await launched.exited).toEqual({code: null, signal: 'SIGTERM'})
    expect(liveGroupMembers(launched.pid)).toEqual([])
    expect(progress[0]).toBe(`sent SIGTERM to process group ${launched.pid}; waiting up to 10s`)
  })

  it('stops twenty groups at once on a busy host with a few scans of /proc between them, not one or more each', async () => {
    const {dir, log} = workspace()
    // A busy host: 400 other processes make each scan of /proc take milliseconds.
    const others = await launchTracked({command: 'for i in $(seq 400); do sleep 60 & done; echo started; wait', cwd: dir, logFile: log})
    await waitFor(() => readText(log).includes('started'), 'the 400 other processes')
    const launched = await Promise.all(Array.from({length: 20}, () => launchTracked({command: ['sh', '-c', 'sleep 30 & sleep 30'], cwd: dir, logFile: log})))
    await waitFor(() => launched.every((one) => liveGroupMembers(one.pid).length === 3), 'every sh and its two sleeps')
    expect(liveGroupMembers(others.pid).length).toBeGreaterThan(400)
    const before = procScanCount()
    const results = await Promise.all(launched.map((one) => stopProcess(one)))
    expect(results.filter((result) => result.outcome !== 'stopped')).toEqual([])
    for (const one of launched) expect(liveGroupMembers(one.pid)).toEqual([])
    // Each stop needs the group's members before its signal and after it: 40 scans unshared.
    const scans = procScanCount() - before
    expect(scans, `${scans} scans`).toBeLessThanOrEqual(20)
  })

  it('sends the configured signal', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sleep', '30'], cwd: dir, logFile: log})
    expect((await stopProcess(launched, {signal: 'SIGINT'})).outcome).toBe('stopped')
    expect(await launched.exited).toEqual({code: null, signal: 'SIGINT'})
  })

  it('escalates to SIGKILL when the group ignores the signal', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: 'trap "" TERM; echo trapped; while :; do sleep 1; done', cwd: dir, logFile: log})
    await waitFor(() => readText(log).includes('trapped'), 'the trap to be set')
    const started = Date.now()
    const result = await stopProcess(launched, {timeoutMs: 500})
    expect(result).toEqual({outcome: 'killed', detail: 'did not stop within 500ms of SIGTERM; killed with SIGKILL'})
    expect(Date.now() - started).toBeGreaterThanOrEqual(450)
    expect(await launched.exited).toEqual({code: null, signal: 'SIGKILL'})
    expect(liveGroupMembers(launched.pid)).toEqual([])
  })

  it('leaves no member of the group behind', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sh', '-c', 'sleep 30 & sleep 30'], cwd: dir, logFile: log})
    await waitFor(() => liveGroupMembers(launched.pid).length === 3, 'sh and both sleeps')
    expect((await stopProcess(launched)).outcome).toBe('stopped')
    expect(liveGroupMembers(launched.pid)).toEqual([])
  })

  it('stops what is left of a group whose leader already exited', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sh', '-c', 'sleep 30 & exit 0'], cwd: dir, logFile: log})
    await launched.exited
    await waitFor(() => liveGroupMembers(launched.pid).length === 1, 'the background sleep alone')
    const result = await stopProcess(launched)
    expect(result.outcome).toBe('stopped')
    expect(result.detail).toMatch(new RegExp(`^pid ${launched.pid} had exited; its group still had 1 process\\(es\\): stopped by SIGTERM`))
    expect(liveGroupMembers(launched.pid)).toEqual([])
  })

  it('never signals a pid whose start time differs: not-ours', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sleep', '30'], cwd: dir, logFile: log})
    const result = await stopProcess({pid: launched.pid, startTime: launched.startTime + 1}, {timeoutMs: 200})
    expect(result.outcome).toBe('not-ours')
    await new Promise((resolveWait) => setTimeout(resolveWait, 300))
    expect(isRunning(launched.pid)).toBe(true)
    expect(readStartTime(launched.pid)).toBe(launched.startTime)
  })

  it('reports a pid that is gone as already-gone', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['true'], cwd: dir, logFile: log})
    await launched.exited
    expect(await stopProcess(launched)).toEqual({outcome: 'already-gone', detail: `pid ${launched.pid} was not running`})
  })

  it('stops a process it did not start (adopted: not its child)', async () => {
    // setsid makes the background sleep its own group leader; its shell exits at once, so init adopts it.
    const shell = spawnSync('sh', ['-c', 'setsid sleep 30 >/dev/null 2>&1 </dev/null & echo $!'], {encoding: 'utf8'})
    const pid = Number(shell.stdout.trim())
    trackGroup(pid)
    await waitFor(() => procStat(pid)?.[2] === 'sleep', 'setsid to exec sleep')
    expect(Number(procStat(pid)![5])).toBe(pid)
    expect(Number(procStat(pid)![4])).not.toBe(process.pid)
    const result = await stopProcess({pid, startTime: readStartTime(pid)!})
    expect(result.outcome).toBe('stopped')
    expect(isRunning(pid)).toBe(false)
    expect(groupExists(pid) && liveGroupMembers(pid).length > 0).toBe(false)
  })
})

describe('signalProcess', () => {
  it('delivers the signal to a matching process and refuses others', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: "trap 'echo got-hup' HUP; echo ready; while :; do sleep 0.1; done", cwd: dir, logFile: log})
    await waitFor(() => readText(log).includes('ready'), 'the trap to be set')
    expect(signalProcess(launched, 'SIGHUP')).toBe('sent')
    await waitFor(() => readText(log).includes('got-hup'), 'the trap to run')
    expect(readText(log).match(/got-hup/g)).toHaveLength(1)
    expect(signalProcess({pid: launched.pid, startTime: launched.startTime + 1}, 'SIGHUP')).toBe('not-ours')
    process.kill(-launched.pid, 'SIGKILL')
    await launched.exited
    expect(signalProcess(launched, 'SIGHUP')).toBe('gone')
  })
})
