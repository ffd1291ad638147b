import {spawn, spawnSync} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {checkAdoptable, readRealUid, processStartedAt, readCommandLine} from '../../src/process/observe.js'
import {BIN, startSleeper, tempProject, trackGroup} from '../helpers/cli.js'
import {waitFor} from '../helpers/state.js'
import {describeAsRoot, useTestUser} from '../safety/helpers.js'

describe('what compctl import may adopt (src/process/observe.ts)', () => {
  it('reads the owner uid and the command line of a process', async () => {
    const sleeper = await startSleeper()
    expect(readRealUid(sleeper.pid)).toBe(process.getuid!())
    expect(readCommandLine(sleeper.pid)).toEqual(['sleep', '600'])
    expect(checkAdoptable(sleeper.pid)).toEqual({identity: {pid: sleeper.pid, startTime: sleeper.startTime}, command: ['sleep', '600']})
    // Started just now: within a few seconds of this clock (start times count hundredths of a second).
    expect(Math.abs(Date.parse(processStartedAt(sleeper.startTime)!) - Date.now())).toBeLessThan(5_000)
  })

  it('refuses pid 0, pid 1, a negative pid, compctl itself and a pid that does not exist', async () => {
    expect(checkAdoptable(0)).toBe('pid 0 is not a process compctl may adopt (pid 0 and 1 never are)')
    expect(checkAdoptable(1)).toBe('pid 1 is not a process compctl may adopt (pid 0 and 1 never are)')
    expect(checkAdoptable(-5)).toContain('not a process compctl may adopt')
    expect(checkAdoptable(process.pid)).toBe(`pid ${process.pid} is this compctl itself`)
    const gone = spawn('true')
    await new Promise((resolve) => gone.on('exit', resolve))
    expect(checkAdoptable(gone.pid!)).toBe(`there is no running process with pid ${gone.pid}`)
  })
})

describeAsRoot("what compctl import may adopt: another user's process", () => {
  const user = useTestUser()

  it("refuses another user's process, and reads that user's uid as its owner", async () => {
    const other = spawn('setpriv', [`--reuid=${user().uid}`, `--regid=${user().gid}`, '--clear-groups', 'sleep', '600'], {detached: true, stdio: 'ignore'})
    trackGroup(other.pid!)
    await waitFor(() => readRealUid(other.pid!) === user().uid, 10_000, 'the other user\'s sleep to run')
    expect(checkAdoptable(other.pid!)).toBe(`pid ${other.pid} runs as uid ${user().uid}, not as compctl's own uid 0: compctl adopts only its own user's processes`)
  })
})

/**
 * Runs `script` as pid 1 of a new pid namespace (with its own /proc), so a hostile pid given to
 * compctl there is the namespace's init, never this machine's. Everything in it dies with it.
 */
function inPidNamespace(script: string, cwd: string) {
  return spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script], {cwd, encoding: 'utf8', timeout: 60_000, env: {...process.env, NO_COLOR: '1'}})
}

describeAsRoot('compctl import refuses hostile pids (run inside a pid namespace)', () => {
  const user = useTestUser()
  const file = 'version: 1\nproject: hostile\ncomponents:\n  auth:\n    command: [sleep, "600"]\n'

  it('refuses pid 1 and records nothing', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), file)
    // Here pid 1 is the namespace's `sh`, of compctl's own user: only the pid ≤ 1 rule refuses it.
    const result = inPidNamespace(`"${process.execPath}" "${BIN}" import auth 1; echo "exit=$?"`, dir)
    expect(result.stdout).toContain('exit=1')
    expect(result.stderr).toBe('compctl import auth 1: pid 1 is not a process compctl may adopt (pid 0 and 1 never are); nothing was imported\n')
    expect(existsSync(join(dir, 'state/compctl.state.json'))).toBe(false)
  })

  it("refuses another user's process and records nothing", () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), file)
    const script = [
      `setpriv --reuid=${user().uid} --regid=${user().gid} --clear-groups sleep 600 & victim=$!`,
      // Wait until setpriv has switched user and become the sleep.
      `for i in $(seq 100); do [ "$(stat -c %u /proc/$victim)" = "${user().uid}" ] && break; sleep 0.05; done`,
      `"${process.execPath}" "${BIN}" import auth $victim; echo "exit=$?"`,
      `kill $victim`,
    ].join('\n')
    const result = inPidNamespace(script, dir)
    expect(result.stdout).toContain('exit=1')
    expect(result.stderr).toMatch(new RegExp(`^compctl import auth \\d+: pid \\d+ runs as uid ${user().uid}, not as compctl's own uid 0: compctl adopts only its own user's processes; nothing was imported\\n$`))
    expect(existsSync(join(dir, 'state/compctl.state.json'))).toBe(false)
  })
})
