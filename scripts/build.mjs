// Bundles the CLI with esbuild: one module graph loads far faster than oclif's hundreds of
// files (startup is most of a `compctl plan`). Heavy modules stay external and are imported
// lazily, only on the paths that use them.
import {build} from 'esbuild'
import {renameSync, rmSync} from 'node:fs'

// Built beside dist/ and swapped in, so a CLI running while a build happens never sees it half-written.
const staging = `dist.tmp-${process.pid}`
await build({
  entryPoints: {main: 'src/main.ts', commands: 'src/commands/index.ts'},
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['ink', 'react', 'react/*', 'etcd3', 'execa', 'typescript', 'ts-node', 'ink-testing-library'],
  // oclif and ajv's runtime are CommonJS; give the bundle a require() for them.
  banner: {js: "import {createRequire as __compctlRequire} from 'node:module';const require = __compctlRequire(import.meta.url);"},
  logLevel: 'warning',
})
const retired = `dist.old-${process.pid}`
try {
  renameSync('dist', retired)
} catch {}
renameSync(staging, 'dist')
rmSync(retired, {recursive: true, force: true})
