import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * End-to-end tests run bin/run.js: build dist/ from the current sources first. The runs keep their
 * parsed files (src/config/parse-cache.ts) in a cache folder of this test run, not the user's.
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['scripts/build.mjs'], {stdio: 'inherit'})
  const cache = mkdtempSync(join(tmpdir(), 'compctl-test-cache-'))
  process.env.XDG_CACHE_HOME = cache
  return () => rmSync(cache, {recursive: true, force: true})
}
