import {Script} from 'node:vm'

let probes = 0

/**
 * Made now, answers later whether V8's flags are still those in force now: V8 takes a code cache
 * only under the flags it was made with. Every compile has a name of its own, so V8 cannot answer
 * from the scripts it already holds.
 */
export function flagsProbe(): () => boolean {
  const id = ++probes
  const source = `(function () { return ${id} })`
  const cache = new Script(source, {filename: `flags-probe-${id}.js`}).createCachedData()
  let asked = 0
  return () => !new Script(source, {cachedData: cache, filename: `flags-probe-${id}-${++asked}.js`}).cachedDataRejected
}
