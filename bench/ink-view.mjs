// What does the Ink view add to an apply in a terminal? Prints markdown; not run in CI.
//
//   npm run build && node bench/ink-view.mjs [--runs=10] [--size=10] [--bin=OTHER/bin/run.js]
//
// A cold `apply --auto-approve` of N `sleep` components (no readiness probe), run under util-linux
// `script` so that stdin and stdout are a terminal: the Ink view. The same apply with stdout sent
// to a file (still under `script`, so both pay for the pseudo-terminal alike) gets the plain view.
// The two alternate, each followed by an untimed destroy; medians, and their difference. Goal (#16):
// the Ink view adds at most 60 ms.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  return arg ? arg.slice(name.length + 3) : fallback
}
// --bin=PATH measures another build (say, a checkout of main) with the same bench.
const BIN = resolve(option('bin', join(ROOT, 'bin/run.js')))
const RUNS = Number(option('runs', '10'))
const SIZE = Number(option('size', '10'))
const GOAL_MS = 60

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`

if (!existsSync(join(dirname(BIN), '../dist/main.cjs'))) {
  console.error('dist/ is missing: run `npm run build` first.')
  process.exit(1)
}
if (spawnSync('script', ['--version'], {stdio: 'ignore'}).status !== 0) {
  console.error('needs util-linux `script` (apt-get install bsdutils) to give compctl a terminal.')
  process.exit(1)
}

const project = mkdtempSync(join(tmpdir(), 'compctl-bench-ink-'))
const components = Array.from({length: SIZE}, (_, i) => `  p${String(i).padStart(3, '0')}: {command: [sleep, "3600"]}`).join('\n')
writeFileSync(join(project, 'compctl.yaml'), `version: 1\nproject: ink-bench\nsettings: {stateDir: state, parallelism: ${SIZE}}\ncomponents:\n${components}\n`)
const env = {...process.env, TERM: 'xterm-256color'}
delete env.CI
delete env.NO_COLOR

/** One apply under `script`; `plain` sends stdout to a file. Wall time in ms. */
function apply(plain) {
  // script's pseudo-terminal starts 0×0; a real one is wider than that.
  const command = `stty cols 120 rows 40 && ${quote(process.execPath)} ${quote(BIN)} apply --auto-approve${plain ? ' > plain.out' : ''}`
  const started = process.hrtime.bigint()
  const result = spawnSync('script', ['-qefc', command, '/dev/null'], {cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`apply (${plain ? 'plain' : 'Ink'}) failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`)
  if (!plain && !result.stdout.includes('Apply complete')) throw new Error(`the terminal run did not show the Ink view's summary:\n${result.stdout}`)
  return ms
}
function destroy() {
  const result = spawnSync(process.execPath, [BIN, 'destroy', '--auto-approve'], {cwd: project, env: {...process.env, NO_COLOR: '1'}, encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`destroy failed:\n${result.stderr}`)
}

const ink = []
const plain = []
try {
  apply(false)
  destroy()
  for (let i = 0; i < RUNS; i++) {
    for (const usePlain of i % 2 === 0 ? [false, true] : [true, false]) {
      ;(usePlain ? plain : ink).push(apply(usePlain))
      destroy()
    }
  }
} finally {
  spawnSync(process.execPath, [BIN, 'destroy', '--auto-approve'], {cwd: project, stdio: 'ignore'})
  rmSync(project, {recursive: true, force: true})
}
const added = median(ink) - median(plain)
console.log(
  [
    `## The Ink view's cost: cold apply of ${SIZE} sleeps in a terminal (${RUNS} interleaved runs each, medians)`,
    '',
    '| view | median wall | min–max |',
    '|---|---|---|',
    `| Ink (stdout a terminal) | ${median(ink).toFixed(0)} ms | ${Math.min(...ink).toFixed(0)}–${Math.max(...ink).toFixed(0)} ms |`,
    `| plain (stdout a file) | ${median(plain).toFixed(0)} ms | ${Math.min(...plain).toFixed(0)}–${Math.max(...plain).toFixed(0)} ms |`,
    '',
    `The Ink view adds ${added.toFixed(0)} ms (goal ≤ ${GOAL_MS} ms: ${added <= GOAL_MS ? 'met' : '**missed**'}). Node ${process.version}.`,
  ].join('\n'),
)
