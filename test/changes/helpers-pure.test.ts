import {describe, expect, it} from 'vitest'
import {selectBackout} from '../../src/changes/backout.js'
import {failureMatches, patternMatches, unmetExpectation} from '../../src/changes/expect.js'
import {commandFor, substituteVars, targetsOf, varsFor} from '../../src/changes/vars.js'
import type {BackoutEntry, Change} from '../../src/model/generated/compctl.js'
import type {CommandResult} from '../../src/process/run-command.js'

const result = (fields: Partial<CommandResult>): CommandResult => ({
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  timedOut: false,
  aborted: false,
  startError: null,
  durationMs: 1,
  ...fields,
})

describe('vars', () => {
  it('replaces each ${var} inside an element, in one pass', () => {
    expect(substituteVars('${user}@${host}', {user: 'justin', host: 'ns1'})).toBe('justin@ns1')
    expect(substituteVars('${a}', {a: '${b}', b: 'no'})).toBe('${b}')
    expect(substituteVars('${missing} $user', {user: 'x'})).toBe('${missing} $user')
  })

  it('keeps every argv element one argument, and leaves a shell string untouched', () => {
    expect(commandFor(['id', '${user}'], {user: 'a b; rm -rf /'})).toEqual(['id', 'a b; rm -rf /'])
    expect(commandFor('id ${user}', {user: 'x; touch pwned'})).toBe('id ${user}')
  })

  it("takes a target's vars over the change's, and defaults to one target `local`", () => {
    const change: Change = {apply: {run: [['true']]}, vars: {who: 'change', other: 'c'}}
    expect(varsFor(change, {name: 't', vars: {who: 'target'}})).toEqual({who: 'target', other: 'c'})
    expect(targetsOf({apply: {run: [['true']]}})).toEqual([{name: 'local'}])
  })
})

describe('expect', () => {
  it('defaults to exit code 0 and accepts a list', () => {
    expect(unmetExpectation(result({exitCode: 0}), undefined, 1000)).toBeNull()
    expect(unmetExpectation(result({exitCode: 2}), undefined, 1000)).toBe('exited 2 (expected 0)')
    expect(unmetExpectation(result({exitCode: 2}), {exitCode: [0, 2]}, 1000)).toBeNull()
    expect(unmetExpectation(result({exitCode: 1}), {exitCode: [0, 2]}, 1000)).toBe('exited 1 (expected one of 0, 2)')
  })

  it('matches stdout and stderr as regular expressions, ^ and $ per line', () => {
    expect(unmetExpectation(result({stdout: 'x\nuid=0(root)\n'}), {stdout: '^uid=\\d+'}, 1000)).toBeNull()
    expect(unmetExpectation(result({stdout: 'nope'}), {stdout: 'uid='}, 1000)).toBe('stdout does not match /uid=/')
    expect(unmetExpectation(result({stderr: 'warn'}), {stderr: '^err'}, 1000)).toBe('stderr does not match /^err/')
    expect(patternMatches('(', 'anything')).toBe(false)
  })

  it('fails a command that timed out, was interrupted, was killed or never ran, whatever expect says', () => {
    expect(unmetExpectation(result({exitCode: null, signal: 'SIGTERM', timedOut: true}), undefined, 500)).toBe('timed out after 500ms')
    expect(unmetExpectation(result({exitCode: null, signal: 'SIGTERM', aborted: true}), undefined, 500)).toBe('interrupted')
    expect(unmetExpectation(result({exitCode: null, signal: 'SIGKILL'}), undefined, 500)).toBe('killed by SIGKILL')
    expect(unmetExpectation(result({exitCode: null, startError: 'ENOENT'}), undefined, 500)).toBe('could not run: ENOENT')
  })

  it('matches a failure only when every field of `when` matches', () => {
    const failure = {phase: 'apply' as const, exitCode: 9, stdout: 'user exists', stderr: ''}
    expect(failureMatches(undefined, failure)).toBe(true)
    expect(failureMatches({exitCode: 9}, failure)).toBe(true)
    expect(failureMatches({exitCode: [1, 9], stdout: 'exists$'}, failure)).toBe(true)
    expect(failureMatches({exitCode: 9, phase: 'verify'}, failure)).toBe(false)
    expect(failureMatches({exitCode: 9, stderr: '.'}, failure)).toBe(false)
    expect(failureMatches({exitCode: 0}, {...failure, exitCode: null})).toBe(false)
  })
})

describe('selectBackout', () => {
  const entries: BackoutEntry[] = [
    {when: {exitCode: 9}, run: [['nine']]},
    {when: {phase: 'verify'}, run: [['verify']]},
    {run: [['any']]},
  ]
  const failure = (phase: 'apply' | 'verify', exitCode: number) => ({phase, exitCode, stdout: '', stderr: ''})

  it('picks the first entry whose `when` matches', () => {
    expect(selectBackout(entries, failure('apply', 9))?.index).toBe(0)
    expect(selectBackout(entries, failure('verify', 1))?.index).toBe(1)
    expect(selectBackout(entries, failure('apply', 1))?.index).toBe(2)
  })

  it('returns null when none matches or there is no backout', () => {
    expect(selectBackout(entries.slice(0, 2), failure('apply', 1))).toBeNull()
    expect(selectBackout(undefined, failure('apply', 1))).toBeNull()
  })

  it('backs out a target that succeeded only with an entry without `when`', () => {
    expect(selectBackout(entries, null)?.index).toBe(2)
    expect(selectBackout(entries.slice(0, 2), null)).toBeNull()
  })
})
