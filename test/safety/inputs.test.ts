import {mkdirSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, mkfifo, tempProject} from '../helpers/cli.js'

/* Item 7: only regular files are read as inputs, and never more than the limit: a FIFO, a device or a folder is an error naming it. */

const VALID = 'version: 1\ncomponents:\n  web:\n    command: [sleep, "300"]\n'

describe('safety: inputs that are not regular files (item 7)', () => {
  it('a FIFO as the desired-state file is refused at once, naming it', () => {
    const dir = tempProject()
    mkfifo(join(dir, 'compctl.yaml'))
    const result = compctl(['plan'], {cwd: dir, timeoutMs: 20_000})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('compctl.yaml: cannot read the desired-state file: it is a FIFO, not a regular file')
  })

  it('/dev/zero behind a .yaml name is refused, not read until memory runs out', () => {
    const dir = tempProject()
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'))
    const result = compctl(['validate', '-f', 'zero.yaml'], {cwd: dir, timeoutMs: 20_000})
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('zero.yaml: cannot read the desired-state file: it is a character device, not a regular file')
  })

  it('a symlink to a regular desired-state file is still read', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'real.yaml'), VALID)
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'compctl.yaml'))
    expect(compctl(['validate'], {cwd: dir}).code).toBe(0)
  })

  it('a FIFO as the state is refused at once, naming it', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), VALID)
    mkdirSync(join(dir, 'state'))
    mkfifo(join(dir, 'state/compctl.state.json'))
    const result = compctl(['plan'], {cwd: dir, timeoutMs: 20_000})
    // The tests' own clean-up reads the state to find processes: it must not meet the FIFO.
    unlinkSync(join(dir, 'state/compctl.state.json'))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${join(dir, 'state/compctl.state.json')}: cannot read the state: it is a FIFO, not a regular file`)
  })

  it('a FIFO or a device as the saved plan is refused at once, naming it', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), VALID)
    mkfifo(join(dir, 'saved.plan'))
    const fifo = compctl(['apply', 'saved.plan'], {cwd: dir, timeoutMs: 20_000})
    expect(fifo.code).toBe(1)
    expect(fifo.stderr).toContain('saved.plan: cannot read the saved plan: it is a FIFO, not a regular file')
    const device = compctl(['apply', '/dev/zero'], {cwd: dir, timeoutMs: 20_000})
    expect(device.code).toBe(1)
    expect(device.stderr).toContain('/dev/zero: cannot read the saved plan: it is a character device, not a regular file')
  })
  it('a watched file that is a FIFO, a device or a folder is refused at once, naming it; a missing one is planned as missing', () => {
    const dir = tempProject()
    const file = (watch: string) => `version: 1\ncomponents:\n  web:\n    command: [sleep, "300"]\n    watch: [${watch}]\n`
    mkfifo(join(dir, 'web.conf'))
    writeFileSync(join(dir, 'compctl.yaml'), file('web.conf'))
    const fifo = compctl(['plan'], {cwd: dir, timeoutMs: 20_000})
    expect(fifo.code).toBe(1)
    expect(fifo.stderr).toContain(`${join(dir, 'web.conf')}: cannot read the watched file web.conf of component web: it is a FIFO, not a regular file`)
    // destroy stops whatever runs without reading any watched file.
    expect(compctl(['destroy', '--auto-approve'], {cwd: dir, timeoutMs: 20_000}).code).toBe(0)
    writeFileSync(join(dir, 'compctl.yaml'), file('/dev/zero'))
    const device = compctl(['plan'], {cwd: dir, timeoutMs: 20_000})
    expect(device.code).toBe(1)
    expect(device.stderr).toContain('/dev/zero: cannot read the watched file /dev/zero of component web: it is a character device, not a regular file')
    mkdirSync(join(dir, 'conf.d'))
    writeFileSync(join(dir, 'compctl.yaml'), file('conf.d'))
    expect(compctl(['plan'], {cwd: dir, timeoutMs: 20_000}).stderr).toContain('cannot read the watched file conf.d of component web: it is a folder, not a regular file')
    writeFileSync(join(dir, 'compctl.yaml'), file('absent.conf'))
    expect(compctl(['plan'], {cwd: dir, timeoutMs: 20_000}).code).toBe(0)
  })
})
