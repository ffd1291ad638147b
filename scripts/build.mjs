// Bundles the CLI with esbuild, for start-up speed (compctl has no daemon: start-up is its latency):
//   dist/main.cjs                  bin/run.js's entry, small: it loads dist/compctl.cjs through
//                                   src/load-bundle.ts (all CommonJS: Node's ES module loader
//                                   costs ~5 ms of start-up)
//   dist/compctl.cjs               the CLI's code (oclif, the commands, everything they import),
//                                   minified, in one CommonJS file that Node 20 can compile with
//                                   V8's code cache; also oclif's command target
//   dist/compctl.cjs.cache         that cache, made below by running a few commands
//   dist/ink-view.js               the Ink view with Ink and React, an ES module (Ink is one) loaded
//                                   on the terminal path only
// Heavy modules are imported lazily, only on the paths that use them: etcd3 and execa stay external,
// Ink and React are in dist/ink-view.js.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join, resolve, sep} from 'node:path'

// Modules of the build itself (esbuild's plugins read the lazy modules' names; oclif makes its manifest).
const requireHere = createRequire(import.meta.url)
const EXTERNAL = ['ink', 'react', 'react/*', 'etcd3', 'execa', '@oclif/plugin-autocomplete', 'typescript', 'ts-node', 'ink-testing-library']
const common = {bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', minify: true, external: EXTERNAL, logLevel: 'warning'}
// The bundle's dynamic import() calls become calls of this parameter of load-bundle.ts's wrapper: as
// long as `import`, so the source map's columns stay right.
const IMPORT = '__imp$'

// Built beside dist/ and swapped in, so a CLI running while a build happens never sees it half-written.
const staging = `dist.tmp-${process.pid}`
await build({
  ...common,
  entryPoints: {main: 'src/main.ts'},
  outdir: staging,
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
})
// Ink, React and their few dozen dependencies bundled into the view: loading them as separate
// modules from node_modules took ~450 ms of CPU; bundled, ~25 ms. React's production build is
// chosen here, whatever NODE_ENV the user has (test/views/ink/lazy-import.test.ts checks dist/).
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
/** `wsl-utils` in oclif's modules is src/oclif-wsl.ts: the two things oclif uses, without loading the rest. */
const oclifWsl = {
  name: 'oclif-wsl',
  setup(b) {
    b.onResolve({filter: /^wsl-utils$/}, (args) => (args.importer.includes(`${sep}@oclif${sep}core${sep}`) ? {path: resolve('src/oclif-wsl.ts')} : undefined))
  },
}
/**
 * oclif sorts its commands with localeCompare, and the first localeCompare of a process builds
 * an ICU collator: ~5 ms of every start-up. compctl's command ids are lower-case ASCII, for which
 * code-unit order is the same order. Fails the build if oclif's line changes.
 */
const oclifCommandOrder = {
  name: 'oclif-command-order',
  setup(b) {
    b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const sort = '.sort((a, b) => a.id.localeCompare(b.id));'
      if (!text.includes(sort)) throw new Error(`build: ${args.path} no longer sorts commands with "${sort}": update the oclif-command-order plugin`)
      return {contents: text.replace(sort, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'), loader: 'js'}
    })
  },
}
/**
 * Modules that the bundle's modules require at load time but most commands never use: Node
 * built-ins (oclif's Performance loads perf_hooks, its parser readline, dotenv crypto...) and
 * tinyglobby (oclif's command discovery by file pattern; compctl lists its commands). Each costs
 * 1–3 ms to load. In the bundle they are objects whose properties load the module on first use;
 * their property names are those the module has here, at build time.
 */
const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'net', 'perf_hooks', 'readline', 'readline/promises', 'stream/promises', 'v8', 'zlib']
const LAZY_PACKAGES = ['tinyglobby']
const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    const builtin = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`)
    b.onResolve({filter: builtin}, (args) => (args.namespace === 'lazy' ? {path: args.path, external: true} : {path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'lazy'}))
    b.onResolve({filter: new RegExp(`^(${LAZY_PACKAGES.join('|')})$`)}, (args) =>
      args.namespace === 'lazy' ? undefined : {path: args.path, namespace: 'lazy', pluginData: {resolveDir: args.resolveDir}},
    )
    b.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => {
      const names = Object.getOwnPropertyNames(requireHere(args.path))
      return {
        loader: 'js',
        resolveDir: args.pluginData?.resolveDir,
        contents: `let loaded; const load = () => (loaded ??= require(${JSON.stringify(args.path)}));
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, {get: () => load()[name], enumerable: true, configurable: true});`,
      }
    })
  },
}
/**
 * The bundle is read as latin1, which is faster than decoding UTF-8 and the same text when it is
 * ASCII: esbuild writes ASCII, except inside regular expression literals, escaped here.
 */
function asciiOnly(text) {
  if (/\\[^\x00-\x7f]/.test(text)) throw new Error('build: the bundle has a backslash before a non-ASCII character, which asciiOnly cannot escape')
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
const bundle = await build({
  ...common,
  entryPoints: {compctl: 'src/bundle.ts'},
  outdir: staging,
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  plugins: [inkViewApart, oclifParts, oclifWsl, oclifCommandOrder, lazyModules],
  write: false,
})
for (const file of bundle.outputFiles) {
  let text = file.text
  if (file.path.endsWith('.cjs')) {
    if (text.includes(IMPORT)) throw new Error(`build: ${IMPORT} already occurs in the bundle; pick another name`)
    // import( not preceded by a name character or a dot, and not "import()" (a message text).
    text = asciiOnly(text.replace(/(?<![\w$.])import\((?!\))/g, `${IMPORT}(`))
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

// oclif's manifest of the commands (their ids, flags, args, descriptions), which oclif otherwise
// builds at every start from each command class. Made by oclif itself, from the new dist/.
const {Config} = requireHere('@oclif/core')
const config = await Config.load({root: resolve('.'), ignoreManifest: true})
const manifest = config.plugins.get(config.pjson.name)?.manifest
if (!manifest || Object.keys(manifest.commands).length === 0) throw new Error('build: oclif found no commands for oclif.manifest.json')
writeFileSync(`oclif.manifest.json.tmp-${process.pid}`, JSON.stringify(manifest))
renameSync(`oclif.manifest.json.tmp-${process.pid}`, 'oclif.manifest.json')

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
