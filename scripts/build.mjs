// Bundles the CLI with esbuild, for start-up speed (compctl has no daemon: start-up is its latency):
//   dist/main.cjs                  bin/run.js's entry, small: it loads dist/compctl.cjs through
//                                   src/load-bundle.ts (all CommonJS: Node's ES module loader
//                                   costs ~5 ms of start-up)
//   dist/compctl.cjs               the CLI's code (oclif, the commands, everything they import),
//                                   minified, in one CommonJS file that Node 20 can compile with
//                                   V8's code cache; also oclif's command target
//   dist/compctl.cjs.cache         that cache, made below by running a few commands
//   dist/ink-view.cjs              the Ink view with Ink, React and yoga, loaded the same way on the
//                                   terminal path only
//   dist/ink-view.cjs.cache        its cache, made below by an apply and a destroy in a terminal
// Heavy modules are imported lazily, only on the paths that use them: etcd3 and execa stay external,
// Ink and React are in dist/ink-view.cjs.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join, relative, resolve, sep} from 'node:path'

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

/** The Ink view is a bundle of its own (dist/ink-view.cjs), loaded by a run in a terminal only, through load-bundle.ts. */
const inkViewApart = {
  name: 'ink-view-apart',
  setup(b) {
    b.onResolve({filter: /^\.\/view\.js$/}, (args) => (resolve(args.resolveDir) === resolve('src/views/ink') ? {path: './ink-view.cjs', external: true} : undefined))
  },
}
/** `text` with each [pattern, replacement] applied once; fails the build when a pattern is not found in `file`. */
function edit(file, text, edits) {
  for (const [pattern, replacement] of edits) {
    if (!pattern.test(text)) throw new Error(`build: ${file} has changed: ${pattern} no longer matches; see the plugin of scripts/build.mjs that edits it`)
    text = text.replace(pattern, replacement)
  }
  return text
}
const YOGA_WASM = /"data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/
/**
 * The Ink view is CommonJS, so that it loads with a code cache as the CLI does. CommonJS cannot
 * wait at a module's top level, and two modules of the view do:
 * - Ink's reconciler, when DEV=true, to connect React's devtools (and read Ink's package.json for
 *   them): compctl does not offer React's devtools, so those lines go;
 * - yoga-layout, for its WebAssembly: here it is compiled and started without waiting (Node
 *   compiles WebAssembly of any size at once), from the same bytes, kept once in the bundle, by V8's
 *   baseline compiler only (withBaselineWasm).
 */
const inkWithoutTopLevelAwait = {
  name: 'ink-without-top-level-await',
  setup(b) {
    const source = (path) => readFileSync(path, 'utf8')
    b.onLoad({filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/}, (args) => ({
      loader: 'js',
      contents: edit(args.path, source(args.path), [
        [/\nif \(isDev\(\)\) \{\n    try \{\n        await import\('\.\/devtools\.js'\);\n[\s\S]*?\n\}\n/, '\n'],
        [/\nasync function loadPackageJson\(\) \{[\s\S]*?\n\}\nconst packageJson = isDev\(\)\n    \? await loadPackageJson\(\)\n    : (\{ name: undefined, version: undefined \});/, '\nconst packageJson = $1;'],
      ]),
    }))
    b.onLoad({filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/}, (args) => ({
      loader: 'js',
      contents: edit(args.path, source(args.path), [[YOGA_WASM, '""']]),
    }))
    b.onLoad({filter: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/}, (args) => {
      edit(args.path, source(args.path), [[/^const Yoga = wrapAssembly\(await loadYoga\(\)\);$/m, '']])
      const wasm = source(join(args.path, '../../binaries/yoga-wasm-base64-esm.js')).match(YOGA_WASM)?.[1]
      if (!wasm) throw new Error(`build: yoga-layout's WebAssembly is no longer where inkWithoutTopLevelAwait looks for it`)
      return {
        loader: 'js',
        resolveDir: join(args.path, '..'),
        contents: `import loadYoga from '../binaries/yoga-wasm-base64-esm.js';
import wrapAssembly from './wrapAssembly.js';
import {withBaselineWasm} from ${JSON.stringify(resolve('src/util/late-optimisation.ts'))};
const wasm = withBaselineWasm(() => new WebAssembly.Module(Buffer.from(${JSON.stringify(wasm)}, 'base64')));
const started = {instantiateWasm(imports, receive) { const instance = new WebAssembly.Instance(wasm, imports); receive(instance); return instance.exports; }};
loadYoga(started).catch(() => {});
if (!started.calledRun) throw new Error('yoga-layout did not start');
const Yoga = wrapAssembly(started);
export default Yoga;
export * from './generated/YGEnums.js';
`,
      }
    })
  },
}
/**
 * Each `string-width` the Ink view bundles (three copies, two versions) answers through
 * src/views/ink/narrow-width.ts first; the package itself is loaded at its first call that needs it.
 */
const inkNarrowWidth = {
  name: 'ink-narrow-width',
  setup(b) {
    b.onResolve({filter: /^string-width$/}, async (args) => {
      if (args.namespace === 'narrow-width') return undefined
      const real = await b.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, namespace: 'narrow-width'})
      if (real.errors.length > 0) return {errors: real.errors}
      // Paths relative to the repository, so the bundle's source map does not depend on where the build ran.
      return {path: relative('.', real.path), namespace: 'narrow-width'}
    })
    b.onLoad({filter: /.*/, namespace: 'narrow-width'}, (args) => {
      const version = Number(JSON.parse(readFileSync(join(args.path, '../package.json'), 'utf8')).version.split('.')[0])
      return {
        loader: 'js',
        resolveDir: resolve('.'),
        contents: `import {narrowWidth} from './src/views/ink/narrow-width.ts';
export default function stringWidth(text, options) {
  return (typeof text === 'string' ? narrowWidth(text, options, ${version}) : undefined) ?? require(${JSON.stringify(`./${args.path}`)}).default(text, options);
}`,
      }
    })
  },
}
/**
 * The two modules of the view that split text into grapheme clusters (see src/views/ink/graphemes.ts)
 * get a segmenter that starts ICU only for text that needs it.
 */
const inkLazyGraphemes = {
  name: 'ink-lazy-graphemes',
  setup(b) {
    const segmenter = resolve('src/views/ink/graphemes.ts')
    b.onLoad({filter: /[\\/](@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize|slice-ansi[\\/]tokenize-ansi)\.js$/}, (args) => ({
      loader: 'js',
      // The import goes last (imports are hoisted), so the module's lines keep their numbers in the source map.
      contents: `${edit(args.path, readFileSync(args.path, 'utf8'), [
        [/new Intl\.Segmenter\(undefined, ?\{ ?granularity: ?["']grapheme["'] ?\}\)/, 'graphemeSegmenter()'],
      ])}\nimport {graphemeSegmenter} from ${JSON.stringify(segmenter)};\n`,
    }))
  },
}
// Ink, React and their few dozen dependencies bundled into the view: loading them as separate
// modules from node_modules took ~450 ms of CPU; bundled, ~25 ms. React's production build is
// chosen here, whatever NODE_ENV the user has (test/views/ink/lazy-import.test.ts checks dist/).
const inkView = await build({
  ...common,
  entryPoints: {'ink-view': 'src/views/ink/view.ts'},
  outdir: staging,
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  external: [],
  define: {'process.env.NODE_ENV': '"production"'},
  plugins: [inkWithoutTopLevelAwait, inkNarrowWidth, inkLazyGraphemes],
  write: false,
})
/**
 * yaml reads a debugging switch from the environment at every token its parser takes
 * (LOG_TOKENS) and its composer takes (LOG_STREAM): a lookup of the process's environment each,
 * ~0.1 µs, ~115 ms of the plan of a 10,000-component file (740,000 tokens). Here each module reads
 * its switch once, as it loads; the switch still works, set before compctl starts.
 */
const yamlSwitchesOnce = {
  name: 'yaml-switches-once',
  setup(b) {
    b.onLoad({filter: /[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/}, (args) => {
      const text = readFileSync(args.path, 'utf8')
      const name = /node_process\.env\.(LOG_TOKENS|LOG_STREAM)/.exec(text)?.[1]
      if (!name) throw new Error(`build: ${args.path} has changed: it no longer reads LOG_TOKENS or LOG_STREAM; see yamlSwitchesOnce in scripts/build.mjs`)
      // The constant goes last (it is read only once the module has loaded), so the lines keep their numbers in the source map.
      return {loader: 'js', contents: `${edit(args.path, text, [[new RegExp(`node_process\\.env\\.${name}`, 'g'), name]])}\nconst ${name} = node_process.env.${name};\n`}
    })
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
/**
 * This build's identity, for src/config/parse-cache.ts (whose entries another build must not use):
 * a hash of what the bundle is made of, the sources, the schemas, the locked dependencies and this script.
 */
function buildId() {
  const hash = createHash('sha256')
  const files = ['package-lock.json', 'scripts/build.mjs']
  for (const folder of ['src', 'schemas']) for (const entry of readdirSync(folder, {recursive: true, withFileTypes: true})) if (entry.isFile()) files.push(join(entry.parentPath ?? entry.path, entry.name))
  for (const file of files.sort()) hash.update(`${file}\0`).update(readFileSync(file)).update('\0')
  return hash.digest('hex').slice(0, 32)
}
const bundle = await build({
  ...common,
  define: {__COMPCTL_BUILD_ID__: JSON.stringify(buildId())},
  entryPoints: {compctl: 'src/bundle.ts'},
  outdir: staging,
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  plugins: [inkViewApart, oclifParts, oclifWsl, oclifCommandOrder, lazyModules, yamlSwitchesOnce],
  write: false,
})
for (const file of [...bundle.outputFiles, ...inkView.outputFiles]) {
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

// The code caches: each run starts from the cache the run before left, and leaves one that adds
// what it compiled. For the CLI's bundle, read-only commands on a copy of examples/dns and an apply
// with nothing to run (what every run compiles; the cache of a larger set costs every command
// more to read than it saves). For the Ink view's, an apply and a destroy of a few `sleep`s in a
// terminal, which util-linux `script` gives them.
const scratch = mkdtempSync(join(tmpdir(), 'compctl-build-'))
/** Runs compctl ARGS in `cwd`, adding to the code cache of `bundle`; through `script` for a terminal. */
function cacheRun(bundle, cwd, args, terminal = false) {
  // Its own cache folder, so parse-cache.ts's reads and writes are in the code cache too.
  const env = {...process.env, COMPCTL_BUILD_CODE_CACHE: bundle, COMPCTL_CACHE_DIR: join(scratch, 'cache')}
  delete env.COMPCTL_PARSE_CACHE
  const command = [process.execPath, resolve('bin/run.js'), ...args]
  if (terminal) {
    // The Ink view draws live only outside CI, and in a terminal of some size (script's starts 0×0).
    delete env.CI
    Object.assign(env, {TERM: 'xterm-256color'})
  } else Object.assign(env, {NO_COLOR: '1'})
  const quoted = command.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ')
  const result = terminal
    ? spawnSync('script', ['-qefc', `stty cols 100 rows 40 && ${quoted}`, '/dev/null'], {cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
    : spawnSync(command[0], command.slice(1), {cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  // The CLI still works without this run's part of the cache; the tests will say what broke.
  if (result.status !== 0) console.warn(`build: warning: compctl ${args.join(' ')} failed while making the code cache of ${bundle} (exit ${result.status}):\n${result.stderr}`)
}
try {
  const dns = join(scratch, 'dns')
  cpSync('examples/dns', dns, {recursive: true, filter: (source) => !source.startsWith(join('examples/dns', 'state'))})
  const empty = join(scratch, 'empty')
  mkdirSync(empty)
  writeFileSync(join(empty, 'compctl.yaml'), 'version: 1\nproject: build\nsettings: {stateDir: state}\ncomponents: {}\n')
  for (const [cwd, ...args] of [[dns, 'validate'], [dns, 'status'], [dns, 'show'], [empty, 'apply', '--auto-approve'], [dns, 'plan']]) cacheRun('compctl.cjs', cwd, args)

  if (spawnSync('script', ['--version'], {stdio: 'ignore'}).status === 0) {
    const sleeps = join(scratch, 'sleeps')
    mkdirSync(sleeps)
    // Sleeps that end on their own should the destroy below not run.
    const components = ['a', 'b', 'c'].map((name) => `  ${name}: {command: [sleep, "30"]}`).join('\n')
    writeFileSync(join(sleeps, 'compctl.yaml'), `version: 1\nproject: build-ink\nsettings: {stateDir: state}\ncomponents:\n${components}\n`)
    cacheRun('ink-view.cjs', sleeps, ['apply', '--auto-approve'], true)
    cacheRun('ink-view.cjs', sleeps, ['destroy', '--auto-approve'], true)
  } else console.warn('build: warning: util-linux `script` is missing, so dist/ink-view.cjs has no code cache: the Ink view starts slower')
} finally {
  rmSync(scratch, {recursive: true, force: true})
}
