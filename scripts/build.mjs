// Bundles the CLI with esbuild, for start-up speed (compctl has no daemon: start-up is its latency):
//   dist/main.js, dist/commands.js  small ES modules: bin/run.js's entry and oclif's command target;
//                                   they load dist/compctl.cjs through src/load-bundle.ts
//   dist/compctl.cjs               the CLI's code (oclif, the commands, everything they import),
//                                   minified, in one CommonJS file that Node 20 can compile with
//                                   V8's code cache
//   dist/compctl.cjs.cache         that cache, made below by running a few commands
//   dist/ink-view.js               the Ink view with Ink and React, an ES module (Ink is one) loaded
//                                   on the terminal path only
// Heavy modules are imported lazily, only on the paths that use them: etcd3 and execa stay external,
// Ink and React are in dist/ink-view.js.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

const EXTERNAL = ['ink', 'react', 'react/*', 'etcd3', 'execa', '@oclif/plugin-autocomplete', 'typescript', 'ts-node', 'ink-testing-library']
const common = {bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', minify: true, external: EXTERNAL, logLevel: 'warning'}
// The bundle's dynamic import() calls become calls of this parameter of load-bundle.ts's wrapper: as
// long as `import`, so the source map's columns stay right.
const IMPORT = '__imp$'

// Built beside dist/ and swapped in, so a CLI running while a build happens never sees it half-written.
const staging = `dist.tmp-${process.pid}`
await build({
  ...common,
  entryPoints: {main: 'src/main.ts', commands: 'src/commands-table.ts'},
  outdir: staging,
  splitting: true,
  format: 'esm',
})
// Ink, React and their few dozen dependencies bundled into the view: loading them as separate
// modules from node_modules took ~450 ms of CPU; bundled, ~25 ms. React's production build is
// chosen here (the view loads it with NODE_ENV=production in any case, see src/views/ink/index.ts).
await build({
  ...common,
  entryPoints: {'ink-view': 'src/views/ink/view.ts'},
  outdir: staging,
  format: 'esm',
  // Ink imports its devtools (and react-devtools-core, not installed) only when DEV=true: a chunk of their own.
  splitting: true,
  chunkNames: 'ink-[name]-[hash]',
  external: ['react-devtools-core'],
  // yoga-layout's loader looks at the global fetch before it instantiates its (inline) WebAssembly,
  // and that first look makes Node load its fetch (undici): ~50 ms for nothing.
  define: {'process.env.NODE_ENV': '"production"', fetch: 'undefined'},
  // Ink's CommonJS dependencies (React among them) need a require() in an ES module bundle.
  banner: {js: "import {createRequire as __compctlRequire} from 'node:module';const require = __compctlRequire(import.meta.url);"},
})

/** The Ink view stays an ES module of its own (dist/ink-view.js): Ink cannot be require()d on Node 20. */
const inkViewApart = {
  name: 'ink-view-apart',
  setup(b) {
    b.onResolve({filter: /^\.\/view\.js$/}, (args) => (resolve(args.resolveDir) === resolve('src/views/ink') ? {path: './ink-view.js', external: true} : undefined))
  },
}
/** `@oclif/core` in compctl's modules is src/oclif-core.ts: the parts of oclif they use, without its index. */
const oclifParts = {
  name: 'oclif-parts',
  setup(b) {
    b.onResolve({filter: /^@oclif\/core$/}, (args) => (resolve(args.importer).startsWith(resolve('src')) ? {path: resolve('src/oclif-core.ts')} : undefined))
  },
}
const bundle = await build({
  ...common,
  entryPoints: {compctl: 'src/bundle.ts'},
  outdir: staging,
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  plugins: [inkViewApart, oclifParts],
  write: false,
})
for (const file of bundle.outputFiles) {
  let text = file.text
  if (file.path.endsWith('.cjs')) {
    if (text.includes(IMPORT)) throw new Error(`build: ${IMPORT} already occurs in the bundle; pick another name`)
    // import( not preceded by a name character or a dot, and not "import()" (a message text).
    text = text.replace(/(?<![\w$.])import\((?!\))/g, `${IMPORT}(`)
  }
  mkdirSync(resolve(file.path, '..'), {recursive: true})
  writeFileSync(file.path, text)
}

const retired = `dist.old-${process.pid}`
try {
  renameSync('dist', retired)
} catch {}
renameSync(staging, 'dist')
rmSync(retired, {recursive: true, force: true})

// The code cache: each run starts from the cache the run before left, and leaves one that adds
// what it compiled. Read-only commands on a copy of examples/dns, and an apply with nothing to run.
const scratch = mkdtempSync(join(tmpdir(), 'compctl-build-'))
try {
  const dns = join(scratch, 'dns')
  cpSync('examples/dns', dns, {recursive: true, filter: (source) => !source.startsWith(join('examples/dns', 'state'))})
  const empty = join(scratch, 'empty')
  mkdirSync(empty)
  writeFileSync(join(empty, 'compctl.yaml'), 'version: 1\nproject: build\nsettings: {stateDir: state}\ncomponents: {}\n')
  const cache = resolve('dist/compctl.cjs.cache')
  const runs = [
    [dns, 'validate'],
    [dns, 'status'],
    [dns, 'show'],
    [empty, 'apply', '--auto-approve'],
    [dns, 'plan'],
  ]
  for (const [cwd, ...args] of runs) {
    const result = spawnSync(process.execPath, [resolve('bin/run.js'), ...args], {
      cwd,
      env: {...process.env, COMPCTL_BUILD_CODE_CACHE: cache, NO_COLOR: '1'},
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    })
    // The CLI still works without this run's part of the cache; the tests will say what broke.
    if (result.status !== 0) console.warn(`build: warning: compctl ${args.join(' ')} failed while making the code cache (exit ${result.status}):\n${result.stderr}`)
  }
} finally {
  rmSync(scratch, {recursive: true, force: true})
}
