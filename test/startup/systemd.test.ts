import {spawn, spawnSync} from 'node:child_process'
import {once} from 'node:events'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {systemdWord} from '../../src/views/systemd-unit.js'
import {BIN, compctl, tempProject, trackGroup} from '../helpers/cli.js'
import {isAlive, readState, waitFor} from '../helpers/state.js'
import {itWithTool} from '../helpers/tool.js'

/** The value of `Key=` in a unit, by its one line. */
function setting(unit: string, key: string): string {
  const line = unit.split('\n').find((l) => l.startsWith(`${key}=`))
  if (line === undefined) throw new Error(`no ${key}= in the unit:\n${unit}`)
  return line.slice(key.length + 1)
}

/** Runs `systemd-analyze verify` on the unit saved as NAME.service: what it says about the unit. */
function verify(unit: string, dir: string, name: string): {status: number | null; complaints: string[]} {
  const path = join(dir, `${name}.service`)
  writeFileSync(path, unit)
  const result = spawnSync('systemd-analyze', ['verify', path], {encoding: 'utf8'})
  const complaints = (result.stderr + result.stdout).split('\n').filter((line) => line.includes(`${name}.service`))
  return {status: result.status, complaints}
}

const SLEEPY = `version: 1
project: sleepy
components:
  base: { command: [sleep, "600"], stop: { timeout: 4s } }
  app: { command: [sleep, "600"], dependsOn: [base] }
`

describe('compctl startup systemd', () => {
  it('runs supervise on the file by its absolute path, lets supervise stop in order, and gives it time for every stop timeout', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), SLEEPY)
    const result = compctl(['startup', 'systemd', '-f', 'compctl.yaml'], {cwd: dir})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const unit = result.stdout
    expect(setting(unit, 'ExecStart')).toBe(`${process.execPath} ${BIN} supervise -f ${join(dir, 'compctl.yaml')}`)
    expect(setting(unit, 'WorkingDirectory')).toBe(dir)
    expect(setting(unit, 'KillMode')).toBe('mixed')
    expect(setting(unit, 'KillSignal')).toBe('SIGTERM')
    // base 4s + app's default 10s + 30s of margin.
    expect(setting(unit, 'TimeoutStopSec')).toBe('44')
    expect(setting(unit, 'Restart')).toBe('on-failure')
    expect(unit).toContain('compctl-sleepy.service')
  })

  it('refuses an invalid file, as every command does', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\ncomponents:\n  a: { command: [x], dependsOn: [nope] }\n')
    const result = compctl(['startup', 'systemd'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('unknown name "nope"')
  })

  itWithTool('systemd-analyze', 'systemd', 'systemd-analyze verify accepts the unit', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), SLEEPY)
    const unit = compctl(['startup', 'systemd'], {cwd: dir}).stdout
    expect(verify(unit, dir, 'compctl-sleepy')).toEqual({status: 0, complaints: []})
    // The check itself can fail: a setting systemd cannot parse is named.
    expect(verify(unit.replace('KillMode=mixed', 'KillMode=bogus'), dir, 'compctl-broken').complaints.join('\n')).toContain('bogus')
  })

  itWithTool('systemd-analyze', 'systemd', 'a path with a space, % and $ is quoted so systemd neither splits it nor expands it', () => {
    const dir = join(tempProject(), 'my proj %i $HOME')
    mkdirSync(dir)
    writeFileSync(join(dir, 'compctl.yaml'), SLEEPY)
    const unit = compctl(['startup', 'systemd'], {cwd: dir}).stdout
    const escaped = dir.split('%').join('%%').split('$').join('$$')
    expect(setting(unit, 'ExecStart')).toBe(`${process.execPath} ${BIN} supervise -f "${escaped}/compctl.yaml"`)
    expect(verify(unit, dir, 'compctl-spaced')).toEqual({status: 0, complaints: []})
  })

  it('quotes systemd words: escapes inside quotes, plain words left alone', () => {
    expect(systemdWord('/usr/bin/node')).toBe('/usr/bin/node')
    expect(systemdWord('a "b" \\c')).toBe('"a \\"b\\" \\\\c"')
    expect(systemdWord('50%')).toBe('50%%')
    expect(systemdWord('')).toBe('""')
  })

  it('its ExecStart, stopped as systemd stops it (SIGTERM to supervise alone), stops every component and exits 0', async () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), SLEEPY)
    const unit = compctl(['startup', 'systemd'], {cwd: dir}).stdout
    const execStart = setting(unit, 'ExecStart')
    expect(execStart).not.toMatch(/["\\%$]/)
    const [command, ...args] = execStart.split(' ')
    const supervise = spawn(command!, args, {cwd: setting(unit, 'WorkingDirectory'), stdio: 'ignore', detached: true})
    trackGroup(supervise.pid!)
    const exited = once(supervise, 'exit')
    await waitFor(() => {
      try {
        return Object.values(readState(dir).components).filter((c) => c.status === 'running').length === 2
      } catch {
        return false
      }
    }, 30_000, 'both components to run under supervise')
    const pids = Object.values(readState(dir).components).map((c) => c.pid!)
    process.kill(supervise.pid!, 'SIGTERM')
    const [code] = (await exited) as [number | null]
    expect(code).toBe(0)
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
  }, 60_000)
})

