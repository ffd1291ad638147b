import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import validateEvent from '../../src/model/generated/validate-events.js'
import {compctl, tempProject} from '../helpers/cli.js'
import {isAlive, readState} from '../helpers/state.js'

const apply = (dir: string, ...args: string[]) => compctl(['apply', '--auto-approve', ...args], {cwd: dir})

function project(yaml: string): string {
  const dir = tempProject()
  writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: moves\n${yaml}`)
  return dir
}

const write = (dir: string, yaml: string) => writeFileSync(join(dir, 'compctl.yaml'), `version: 1\nproject: moves\n${yaml}`)

describe('moved: in the file', () => {
  it('renames a running component through apply: same pid, state and log renamed, then nothing to do', () => {
    const dir = project('components:\n  authd:\n    command: [sleep, "300"]\n')
    expect(apply(dir).code).toBe(0)
    const before = readState(dir).components.authd!
    write(dir, 'moved:\n  - { from: authd, to: auth }\ncomponents:\n  auth:\n    command: [sleep, "300"]\n')

    const plan = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.code).toBe(2)
    expect(plan.stdout).toContain('→ move authd to auth\n')
    expect(plan.stdout).toContain('Plan: 1 to move.')
    expect(plan.stdout).not.toMatch(/[+~-] (start|stop|restart) /)
    const json = JSON.parse(compctl(['plan', '--json'], {cwd: dir}).stdout)
    expect(json.steps.map((s: {action: string; name: string; from?: string}) => [s.action, s.from, s.name])).toEqual([['move', 'authd', 'auth']])

    const applied = apply(dir, '--json')
    expect(applied.stderr).toBe('')
    expect(applied.code).toBe(0)
    const events = applied.stdout.trim().split('\n').map((line) => JSON.parse(line))
    for (const event of events) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true)
    expect(events.at(-1)).toMatchObject({type: 'summary', ok: true, counts: {moved: 1, started: 0, stopped: 0}})
    const after = readState(dir)
    expect(after.components.authd).toBeUndefined()
    expect(after.components.auth).toMatchObject({pid: before.pid, startTime: before.startTime, status: 'running'})
    expect(isAlive(before.pid)).toBe(true)
    expect(existsSync(join(dir, 'state/logs/auth.log'))).toBe(true)
    expect(existsSync(join(dir, 'state/logs/authd.log'))).toBe(false)

    // The entry may stay in the file: its `from` is no longer recorded, so it is ignored.
    const again = compctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(again.stdout).toContain('No changes')
    expect(again.code).toBe(0)
  })

  it('moves and restarts when the command changed too, and applies a saved plan with a move', () => {
    const dir = project('components:\n  authd:\n    command: [sleep, "300"]\n')
    expect(apply(dir).code).toBe(0)
    const before = readState(dir).components.authd!.pid
    write(dir, 'moved:\n  - { from: authd, to: auth }\ncomponents:\n  auth:\n    command: [sleep, "301"]\n')
    const saved = compctl(['plan', '--out', 'plan.json'], {cwd: dir})
    expect(saved.stdout).toMatch(/→ move authd to auth[\s\S]*~ restart auth[\s\S]*waits for: move.auth/)
    const applied = compctl(['apply', 'plan.json'], {cwd: dir})
    expect(applied.stderr).toBe('')
    expect(applied.code).toBe(0)
    expect(applied.stdout).toContain('1 moved, 0 started, 0 stopped, 1 restarted')
    const after = readState(dir).components.auth!
    expect(after.pid).not.toBe(before)
    expect(after.spec).toEqual({command: ['sleep', '301']})
    expect(isAlive(before)).toBe(false)
    expect(compctl(['plan', '--detailed-exitcode'], {cwd: dir}).code).toBe(0)
  })

  it('is a located plan error when the destination is recorded already, and nothing runs', () => {
    const dir = project('components:\n  authd:\n    command: [sleep, "300"]\n  auth:\n    command: [sleep, "300"]\n')
    expect(apply(dir).code).toBe(0)
    const state = readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')
    write(dir, 'moved:\n  - { from: authd, to: auth }\ncomponents:\n  auth:\n    command: [sleep, "300"]\n')
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const result = compctl(args, {cwd: dir})
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(
        `${join(dir, 'compctl.yaml')}:4:24: moved[0].to: cannot move authd to auth: auth is recorded already; forget one of them first (compctl state rm NAME), or drop this move\n`,
      )
    }
    expect(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8')).toBe(state)
  })

  it('validate locates an undeclared destination, two moves to one name, a cycle, and an old name still declared', () => {
    const dir = project(
      [
        'moved:',
        '  - { from: a, to: nowhere }',
        '  - { from: b, to: auth }',
        '  - { from: c, to: auth }',
        '  - { from: p, to: q }',
        '  - { from: q, to: p }',
        '  - { from: api, to: auth2 }',
        'components:',
        '  auth:',
        '    command: [sleep, "300"]',
        '  auth2:',
        '    command: [sleep, "300"]',
        '  api:',
        '    command: [sleep, "300"]',
        '',
      ].join('\n'),
    )
    const result = compctl(['validate'], {cwd: dir})
    expect(result.code).toBe(1)
    expect(result.stderr.split('\n').filter((l) => l.startsWith('compctl.yaml'))).toEqual([
      'compctl.yaml:4:20: moved[0].to: nowhere is not declared under components or changes: a move needs its new name in the file',
      'compctl.yaml:6:20: moved[2].to: two moves to auth (moved[1] and moved[2]): a name can receive one record',
      'compctl.yaml:7:20: moved[3].to: moves form a cycle: p → q → p',
      'compctl.yaml:9:13: moved[5].from: api is still declared in the file: rename it to auth2 there, or remove this move',
    ])
  })
})
