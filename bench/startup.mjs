// How close is each compctl command to Node's own start-up? Prints a markdown table; not run in CI
// (timings depend on the machine).
//
//   npm run build && node bench/startup.mjs [--runs=30] [--bin=OTHER/bin/run.js]
//
// compctl has no daemon, so its start-up is its latency. Every command below runs on a copy of
// examples/dns (made in the OS temp folder, so the repository stays untouched), interleaved with
// `node -e 0` in rotating order so a busy machine slows all alike: medians of each, and each
// median's ratio to `node -e 0`'s from the same run. The no-op apply runs on a generated file of
// 100 `sleep` components, applied once (untimed) before and destroyed after.
//
// compctl keeps each YAML file's parsed data between runs (src/config/parse-cache.ts), here in a
// cache folder of the bench's own: the rows marked "parse cache off" run with
// COMPCTL_PARSE_CACHE=0, as a first run on a file (or a changed file) does.
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  return arg ? arg.slice(name.length + 3) : fallback
}
// --bin=PATH measures another build (say, a checkout of main) with the same bench.
const BIN = resolve(option('bin', join(ROOT, 'bin/run.js')))
const RUNS = Number(option('runs', '30'))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

if (!existsSync(join(dirname(BIN), '../dist/main.cjs'))) {
  console.error('dist/ is missing: run `npm run build` first.')
  process.exit(1)
}

const scratch = mkdtempSync(join(tmpdir(), 'compctl-bench-startup-'))
const dns = join(scratch, 'dns')
cpSync(join(ROOT, 'examples/dns'), dns, {recursive: true, filter: (source) => !source.startsWith(join(ROOT, 'examples/dns/state'))})
const hundred = join(scratch, 'noop-100')
mkdirSync(hundred)
const components = Array.from({length: 100}, (_, i) => `  p${String(i).padStart(3, '0')}: {command: [sleep, "3600"]}`).join('\n')
writeFileSync(join(hundred, 'compctl.yaml'), `version: 1\nproject: startup-bench\nsettings: {stateDir: state, parallelism: 100}\ncomponents:\n${components}\n`)

const defaultEnv = {...process.env, NO_COLOR: '1', COMPCTL_CACHE_DIR: join(scratch, 'cache')}
delete defaultEnv.COMPCTL_PARSE_CACHE
const cacheOff = {...defaultEnv, COMPCTL_PARSE_CACHE: '0'}
const RUSAGE = join(ROOT, 'bench/rusage.py')
const HAVE_PYTHON = spawnSync('python3', ['-c', 'import os; os.wait4'], {stdio: 'ignore'}).status === 0

/** Runs `node ARGS` in `cwd`: wall time and (with python3) CPU time, in ms; throws on failure. */
function run(args, cwd, env = defaultEnv) {
  if (HAVE_PYTHON) {
    const result = spawnSync('python3', [RUSAGE, cwd, process.execPath, ...args], {env, encoding: 'utf8'})
    if (result.status === 0) {
      const [wallMs, cpuMs] = result.stdout.trim().split(' ').map(Number)
      return {wallMs, cpuMs}
    }
  }
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, {cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28})
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} (in ${cwd}) failed with ${result.status ?? result.signal}:\n${result.stderr}`)
  return {wallMs, cpuMs: undefined}
}

// goal: the largest ratio to `node -e 0` the issue allows (#16).
const cases = [
  {label: '`node -e 0`', args: ['-e', '0'], cwd: dns},
  {label: '`compctl --version`', args: [BIN, '--version'], cwd: dns, goal: 1.3},
  {label: '`compctl validate` (examples/dns)', args: [BIN, 'validate'], cwd: dns, goal: 1.6},
  {label: '`compctl plan` (examples/dns)', args: [BIN, 'plan'], cwd: dns, goal: 1.6},
  {label: '`compctl status` (examples/dns)', args: [BIN, 'status'], cwd: dns, goal: 1.6},
  {label: '`compctl show` (examples/dns)', args: [BIN, 'show'], cwd: dns, goal: 1.6},
  {label: 'no-op `compctl apply --auto-approve`, 100 components', args: [BIN, 'apply', '--auto-approve'], cwd: hundred, goal: 2.0},
  {label: '`compctl validate` (examples/dns), parse cache off', args: [BIN, 'validate'], cwd: dns, env: cacheOff},
  {label: '`compctl plan` (examples/dns), parse cache off', args: [BIN, 'plan'], cwd: dns, env: cacheOff},
  {label: 'no-op `compctl apply --auto-approve`, 100 components, parse cache off', args: [BIN, 'apply', '--auto-approve'], cwd: hundred, env: cacheOff},
]

const loadBefore = loadavg()
const times = cases.map(() => [])
try {
  run([BIN, 'apply', '--auto-approve'], hundred)
  for (const c of cases) run(c.args, c.cwd, c.env) // warm the file cache (and the parse cache)
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < cases.length; k++) {
      const at = (i + k) % cases.length
      times[at].push(run(cases[at].args, cases[at].cwd, cases[at].env))
    }
  }
} finally {
  spawnSync(process.execPath, [BIN, 'destroy', '--auto-approve'], {cwd: hundred, env: defaultEnv, stdio: 'ignore'})
  rmSync(scratch, {recursive: true, force: true})
}

const wall = times.map((runs) => runs.map((r) => r.wallMs))
const cpu = HAVE_PYTHON ? times.map((runs) => runs.map((r) => r.cpuMs)) : null
const node = median(wall[0])
const nodeCpu = cpu && median(cpu[0])
const out = [`## compctl start-up against \`node -e 0\` (${RUNS} interleaved runs each; medians, ratios from this run)`, '']
out.push('| command | median wall | min–max | wall ratio to `node -e 0` | goal (wall) | median CPU | CPU ratio |', '|---|---|---|---|---|---|---|')
cases.forEach((c, i) => {
  const m = median(wall[i])
  const ratio = m / node
  const goal = c.goal === undefined ? '' : `≤ ${c.goal}×: ${ratio <= c.goal ? 'met' : '**missed**'}`
  const cpuCells = cpu ? `${median(cpu[i]).toFixed(0)} ms | ${(median(cpu[i]) / nodeCpu).toFixed(2)}×` : 'n/a | n/a'
  out.push(`| ${c.label} | ${m.toFixed(0)} ms | ${Math.min(...wall[i]).toFixed(0)}–${Math.max(...wall[i]).toFixed(0)} ms | ${ratio.toFixed(2)}× | ${goal} | ${cpuCells} |`)
})
out.push('', 'CPU = user + system time of the process (wait4 rusage, via bench/rusage.py): on a loaded machine it varies far less than wall time, and on an idle one wall ≈ CPU for these commands.')
const loadAfter = loadavg()
out.push('', `Node ${process.version}; ${cpus().length} cores; load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after.`)
console.log(out.join('\n'))
