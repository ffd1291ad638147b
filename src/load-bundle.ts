import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import {createRequire, Module} from 'node:module'
import {basename, dirname, join} from 'node:path'
import {Script} from 'node:vm'
import type * as Bundle from './bundle.js'

/**
 * Node 20 compiles every module from source at each start (its compile cache is Node 22), and
 * for a CLI with no daemon that is a good part of every command's latency. So the CLI's code is
 * CommonJS bundles, each compiled here with V8's code cache, which the build made by running a few
 * commands (scripts/build.mjs): what those ran needs no compiling. A cache that does not match
 * (another V8, other flags) is rejected by V8 and the code compiles as usual.
 *
 *   dist/compctl.cjs   the CLI: oclif, the commands, all they import
 *   dist/ink-view.cjs  the Ink view, with Ink and React: loaded by a run in a terminal only
 *
 * A bundle's dynamic `import()` calls were renamed by the build to a parameter of this wrapper
 * (`__imp$`), since a script compiled with a code cache has no module loader of its own; they
 * resolve from here, in dist/, as they would in the bundle, and an import of another of these
 * bundles loads it through here.
 *
 * The loaded CLI bundle is put in the require cache as what `require('dist/compctl.cjs')` gives:
 * that is oclif's command target (package.json `oclif.commands`), read from the bundle already
 * loaded. This file is built into dist/main.cjs, so `__dirname` is dist/.
 */
const CLI_BUNDLE = join(__dirname, 'compctl.cjs')
const loaded = new Map<string, unknown>()

export function loadBundle(): typeof Bundle {
  return loadCompiled(CLI_BUNDLE) as typeof Bundle
}

/** The exports of a CommonJS bundle of dist/, compiled once per process with its code cache. */
function loadCompiled(file: string): unknown {
  if (loaded.has(file)) return loaded.get(file)
  // ASCII, written so by the build: latin1 reads it faster than utf8, to the same text.
  const source = readFileSync(file, 'latin1')
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(`${file}.cache`)
  } catch {}
  // One line of wrapper, so the bundle's line numbers (and its source map) stay right.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __imp$) {${source}\n})`, {filename: file, ...(cachedData ? {cachedData} : {})})
  const module = new Module(file)
  module.filename = file
  const requireFromBundle = createRequire(file)
  script.runInThisContext()(module.exports, requireFromBundle, module, file, dirname(file), importFromBundle)
  module.loaded = true
  requireFromBundle.cache[file] = module
  if (process.env.COMPCTL_BUILD_CODE_CACHE?.split(',').includes(basename(file))) process.once('exit', () => saveCodeCache(script, `${file}.cache`))
  loaded.set(file, module.exports)
  return module.exports
}

/** A bundle's `import(specifier)`: another bundle of dist/ through loadCompiled, anything else as import() does. */
function importFromBundle(specifier: string): Promise<unknown> {
  if (specifier.startsWith('./') && specifier.endsWith('.cjs')) return Promise.resolve().then(() => loadCompiled(join(__dirname, specifier)))
  return import(specifier)
}

/** Used by the build only (COMPCTL_BUILD_CODE_CACHE names the bundles): the code cache of what this run compiled, written whole or not at all. */
function saveCodeCache(script: Script, path: string): void {
  writeFileSync(`${path}.tmp-${process.pid}`, script.createCachedData())
  renameSync(`${path}.tmp-${process.pid}`, path)
}
