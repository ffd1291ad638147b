import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {launch} from '../../src/process/launch.js'
import {observe} from '../../src/process/observe.js'
import {ROOT, trackGroup} from '../helpers/cli.js'
import {isRunning, launchTracked, procStat, readText, waitFor, workspace} from './helpers.js'
import {bundleForChild} from '../helpers/bundle.js'

describe('launch', () => {
  it('starts a detached process in its own group, with the pid and start time /proc shows', async () => {
    const {dir, log} = workspace()
    const launched = await launchTracked({command: ['sleep', '30'], cwd: dir, logFile: log})
    const stat = procStat(launched.pid)!
    expect(stat[2]).toBe('sleep')
    expect(Number(stat[5])).toBe(launched.pid)
    expect(Number(stat[22])).toBe(launched.startTime)
    expect(observe(launched)).toEqual({alive: true, sameProcess: true})
  })

  it('appends stdout and stderr to the log file across launches, creating its folder', async () => {
    const {dir, log} = workspace()
    const command = 'echo hi; echo err >&2; sleep 30'
    await launchTracked({command, cwd: dir, logFile: log})
    await waitFor(() => readText(log).includes('err'), 'the first output')
    await launchTracked({command, cwd: dir, logFile: log})
    await waitFor(() => readText(log).split('err').length === 3, 'the second output')
    expect(readText(log)).toBe('hi\nerr\nhi\nerr\n')
  })

  it('applies env on top of the environment, runs in cwd, and resolves a relative program against cwd', async () => {
    const {dir, log} = workspace()
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin/daemon.sh'), '#!/bin/sh\necho "greeting=$GREETING home=$HOME"\npwd\nexec sleep 30\n')
    chmodSync(join(dir, 'bin/daemon.sh'), 0o755)
    await launchTracked({command: ['bin/daemon.sh'], env: {GREETING: 'hello there'}, cwd: dir, logFile: log})
    await waitFor(() => readText(log).split('\n').length >= 3, 'the output')
    expect(readText(log)).toBe(`greeting=hello there home=${process.env.HOME}\n${realpathSync(dir)}\n`)
  })

  it('reports how the process exited, even when it exits at once', async () => {
    const {dir, log} = workspace()
    const quick = await launchTracked({command: ['sh', '-c', 'exit 3'], cwd: dir, logFile: log})
    expect(await quick.exited).toEqual({code: 3, signal: null})
    // `true` has usually exited (an unreaped zombie) by the time its start time is read.
    for (let run = 0; run < 5; run++) {
      const instant = await launchTracked({command: ['true'], cwd: dir, logFile: log})
      expect(instant.startTime).toBeGreaterThan(0)
      expect(await instant.exited).toEqual({code: 0, signal: null})
    }
    const sleeper = await launchTracked({command: ['sleep', '30'], cwd: dir, logFile: log})
    process.kill(-sleeper.pid, 'SIGKILL')
    expect(await sleeper.exited).toEqual({code: null, signal: 'SIGKILL'})
  })

  it('rejects naming the command when the program does not exist, is not executable, or the folder is missing', async () => {
    const {dir, log} = workspace()
    await expect(launch({command: ['no-such-program-compctl', '--flag'], cwd: dir, logFile: log})).rejects.toThrow(
      'could not start no-such-program-compctl --flag: no-such-program-compctl was not found on PATH',
    )
    writeFileSync(join(dir, 'plain.txt'), 'not a program\n')
    await expect(launch({command: ['./plain.txt'], cwd: dir, logFile: log})).rejects.toThrow(
      'could not start ./plain.txt: ./plain.txt is not executable (permission denied)',
    )
    const missing = join(dir, 'missing-folder')
    await expect(launch({command: ['sleep', '30'], cwd: missing, logFile: log})).rejects.toThrow(
      `could not start sleep 30: its working folder ${missing} does not exist`,
    )
  })

  // Vitest cannot run a second Node process on the TypeScript sources, so the launcher is an esbuild
  // bundle of launch.ts made here: a short-lived Node process launches `sleep 30` and must exit on its own.
  it('outlives the process that launched it, which exits without waiting for it', async () => {
    const {dir, log} = workspace()
    await bundleForChild(join(dir, 'launch.mjs'), {entry: join(ROOT, 'src/process/launch.ts')}, {external: ['execa']})
    writeFileSync(
      join(dir, 'launcher.mjs'),
      "import {launch} from './launch.mjs'\nconst p = await launch(JSON.parse(process.argv[2]))\nconsole.log(JSON.stringify({pid: p.pid, startTime: p.startTime}))\n",
    )
    const started = Date.now()
    const launcher = spawnSync(process.execPath, [join(dir, 'launcher.mjs'), JSON.stringify({command: ['sleep', '30'], cwd: dir, logFile: log})], {
      encoding: 'utf8',
      timeout: 25_000,
    })
    const launcherMs = Date.now() - started
    const identity = JSON.parse(launcher.stdout) as {pid: number; startTime: number}
    trackGroup(identity.pid)
    expect(launcher.stderr).toBe('')
    expect(launcher.status).toBe(0)
    // It would take the full 30s (or be killed at 25s) if the child kept its event loop alive.
    expect(launcherMs).toBeLessThan(15_000)
    expect(observe(identity)).toEqual({alive: true, sameProcess: true})
    expect(isRunning(identity.pid)).toBe(true)
    expect(Number(procStat(identity.pid)![4])).not.toBe(launcher.pid)
  })
})
