import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {dirname, join} from 'node:path'
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
 *
 * The loaded bundle is put in the require cache as what `require('dist/compctl.cjs')` gives: that
 * is oclif's command target (package.json `oclif.commands`), read from the bundle already loaded.
 * This file is built into dist/main.cjs, so `__dirname` is dist/.
 */
const BUNDLE = join(__dirname, 'compctl.cjs')
let loaded: typeof Bundle | undefined

export function loadBundle(): typeof Bundle {
  if (loaded) return loaded
  // ASCII, written so by the build: latin1 reads it faster than utf8, to the same text.
  const source = readFileSync(BUNDLE, 'latin1')
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(`${BUNDLE}.cache`)
  } catch {}
  // One line of wrapper, so the bundle's line numbers (and its source map) stay right.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __imp$) {${source}\n})`, {filename: BUNDLE, ...(cachedData ? {cachedData} : {})})
  const module = new Module(BUNDLE)
  module.filename = BUNDLE
  const requireFromBundle = createRequire(BUNDLE)
  script.runInThisContext()(module.exports, requireFromBundle, module, BUNDLE, dirname(BUNDLE), (specifier: string) => import(specifier))
  module.loaded = true
  requireFromBundle.cache[BUNDLE] = module
  const out = process.env.COMPCTL_BUILD_CODE_CACHE
  if (out) process.once('exit', () => saveCodeCache(script, out))
  loaded = module.exports as typeof Bundle
  return loaded
}

/** Used by the build only: the code cache of what this run compiled, written whole or not at all. */
function saveCodeCache(script: Script, path: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, script.createCachedData())
  renameSync(`${path}.tmp-${process.pid}`, path)
}
