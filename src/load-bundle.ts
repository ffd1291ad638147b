import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'
import type * as Bundle from './bundle.js'

/**
 * Node 20 compiles every module from source at each start (its compile cache is Node 22), and
 * for a CLI with no daemon that is a good part of every command's latency. So the CLI's code is
 * one CommonJS file, compiled here with V8's code cache, which the build made by running a few
 * commands (scripts/build.mjs): what those ran needs no compiling. A cache that does not match
 * (another V8, other flags) is rejected by V8 and the code compiles as usual.
 *
 * The bundle's dynamic `import()` calls were renamed by the build to a parameter of this wrapper
 * (`__imp$`), since a script compiled with a code cache has no module loader of its own; they
 * resolve from here, in dist/, as they would in the bundle.
 */
const BUNDLE = fileURLToPath(new URL('./compctl.cjs', import.meta.url))
let loaded: typeof Bundle | undefined

export function loadBundle(): typeof Bundle {
  if (loaded) return loaded
  const source = readFileSync(BUNDLE, 'utf8')
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(`${BUNDLE}.cache`)
  } catch {}
  // One line of wrapper, so the bundle's line numbers (and its source map) stay right.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __imp$) {${source}\n})`, {filename: BUNDLE, ...(cachedData ? {cachedData} : {})})
  const module = {exports: {} as typeof Bundle}
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE), (specifier: string) => import(specifier))
  const out = process.env.COMPCTL_BUILD_CODE_CACHE
  if (out) process.once('exit', () => saveCodeCache(script, out))
  loaded = module.exports
  return loaded
}

/** Used by the build only: the code cache of what this run compiled, written whole or not at all. */
function saveCodeCache(script: Script, path: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, script.createCachedData())
  renameSync(`${path}.tmp-${process.pid}`, path)
}
