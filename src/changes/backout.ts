import type {BackoutEntry} from '../model/generated/compctl.js'
import {type CommandFailure, failureMatches} from './expect.js'

export interface SelectedBackout {
  entry: BackoutEntry
  index: number
}

/**
 * The backout to run: the first entry whose `when` matches the failure. Backing out a target
 * that succeeded (`onFailure: backout-all`) has no failure to match, so only an entry without
 * `when` applies. Null when none applies.
 */
export function selectBackout(entries: readonly BackoutEntry[] | undefined, failure: CommandFailure | null): SelectedBackout | null {
  const index = (entries ?? []).findIndex((entry) => (failure ? failureMatches(entry.when, failure) : entry.when === undefined))
  return index < 0 ? null : {entry: entries![index]!, index}
}
