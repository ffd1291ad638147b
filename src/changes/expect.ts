import type {Expect, FailureMatch} from '../model/generated/compctl.js'
import type {CommandResult} from '../process/run-command.js'
import {formatMs} from '../util/duration.js'

export type PhaseName = 'check' | 'apply' | 'verify' | 'backout' | 'verifyBackout'

/** What a failed command looked like, for picking a backout. */
export interface CommandFailure {
  phase: PhaseName
  exitCode: number | null
  stdout: string
  stderr: string
}

/** A pattern from the file: a regular expression where `^` and `$` also match at line ends. */
export function patternMatches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'm').test(text)
  } catch {
    return false
  }
}

function exitCodeAccepted(code: number | null, accepted: number | number[]): boolean {
  return code !== null && (Array.isArray(accepted) ? accepted.includes(code) : accepted === code)
}

/** Why a finished command does not meet `expect` (default `{exitCode: 0}`), or null when it does. */
export function unmetExpectation(result: CommandResult, expect: Expect | undefined, timeoutMs: number): string | null {
  if (result.startError) return `could not run: ${result.startError}`
  if (result.aborted) return 'interrupted'
  if (result.timedOut) return `timed out after ${formatMs(timeoutMs)}`
  if (result.exitCode === null) return `killed by ${result.signal ?? 'a signal'}`
  const accepted = expect?.exitCode ?? 0
  if (!exitCodeAccepted(result.exitCode, accepted))
    return `exited ${result.exitCode} (expected ${Array.isArray(accepted) ? `one of ${accepted.join(', ')}` : accepted})`
  if (expect?.stdout !== undefined && !patternMatches(expect.stdout, result.stdout)) return `stdout does not match /${expect.stdout}/`
  if (expect?.stderr !== undefined && !patternMatches(expect.stderr, result.stderr)) return `stderr does not match /${expect.stderr}/`
  return null
}

/** Whether a backout's `when` matches a failure: every field it gives must match; no `when` matches any failure. */
export function failureMatches(when: FailureMatch | undefined, failure: CommandFailure): boolean {
  if (!when) return true
  if (when.phase !== undefined && when.phase !== failure.phase) return false
  if (when.exitCode !== undefined && !exitCodeAccepted(failure.exitCode, when.exitCode)) return false
  if (when.stdout !== undefined && !patternMatches(when.stdout, failure.stdout)) return false
  if (when.stderr !== undefined && !patternMatches(when.stderr, failure.stderr)) return false
  return true
}
