// How fast is `compctl plan`? Prints a markdown table; not run in CI (timings depend on the machine).
//
//   node scripts/build.mjs && node bench/plan.mjs [--runs=20] [--size-runs=5] [--sizes=1000,10000,50000] [--yaml-sizes=1000,10000]
//
// 1. Startup: `compctl plan` on examples/dns against `node -e 0`, interleaved (so a busy machine
//    slows both alike), median wall time of each and their ratio (bench/startup.mjs does every
//    command against the goals of issue #16; this is the quick check).
// 2. Scale: `plan --json` on generated files of 1,000 / 10,000 / 50,000 components with no state,
//    written as JSON and as YAML (block style, as people write it): median wall time, peak memory
//    (max RSS), and the cost per component. Goals: 10,000 components in under 0.5 s from JSON and
//    under 1.5 s from YAML, and under 250 MB.
//
// Each file is planned twice: parsed and checked at every run (COMPCTL_PARSE_CACHE=0: the goals'
// figures, as a first run on a file), and read from the parse cache (src/config/parse-cache.ts)
// that a first run wrote, as every later run on an unchanged file does. The bench's cache folder
// is its own.
//
// Peak memory is the kernel's max RSS of the compctl process, read by GNU time (`/usr/bin/time -f
// %M`, which waits for the child and reports its rusage: nothing runs inside the measured process).
// Without GNU time, a preload (bench/maxrss-preload.mjs) prints VmHWM from /proc/self/status as the
// process exits: the same figure, at the cost of one small module loaded into it.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {stringify} from 'yaml'
import {generateSpec} from './generate.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin/run.js')
const PRELOAD = join(ROOT, 'bench/maxrss-preload.mjs')
const EXAMPLE = join(ROOT, 'examples/dns')

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  return arg ? arg.slice(name.length + 3) : fallback
}
const RUNS = Number(option('runs', '20'))
const SIZE_RUNS = Number(option('size-runs', '5'))
const SIZES = option('sizes', '1000,10000,50000').split(',').map(Number)
const YAML_SIZES = option('yaml-sizes', '1000,10000').split(',').filter(Boolean).map(Number)
const GOAL_MS = {json: 500, yaml: 1500}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
const ms = (x) => `${x.toFixed(0)} ms`
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`

const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], {encoding: 'utf8'})
const HAVE_GNU_TIME = gnuTime.status === 0 && /^\d+\s*$/m.test(gnuTime.stderr)

const cacheDir = mkdtempSync(join(tmpdir(), 'compctl-bench-cache-'))
process.on('exit', () => rmSync(cacheDir, {recursive: true, force: true}))

/** Runs `node ARGS` in `cwd`: wall time in ms, max RSS in KB (when asked), stdout, exit code. */
function run(args, {cwd, memory = false, parseCache = true}) {
  const env = {...process.env, NO_COLOR: '1', COMPCTL_CACHE_DIR: cacheDir, COMPCTL_PARSE_CACHE: parseCache ? '1' : '0'}
  let command = process.execPath
  let argv = args
  if (memory && HAVE_GNU_TIME) {
    command = '/usr/bin/time'
    argv = ['-f', 'COMPCTL_BENCH_MAXRSS_KB=%M', process.execPath, ...args]
  } else if (memory) argv = ['--import', PRELOAD, ...args]
  const started = process.hrtime.bigint()
  const result = spawnSync(command, argv, {cwd, env, encoding: 'utf8', maxBuffer: 1 << 30})
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  const rss = /COMPCTL_BENCH_MAXRSS_KB=(\d+)/.exec(result.stderr ?? '')
  return {wallMs, maxRssKb: rss ? Number(rss[1]) : undefined, stdout: result.stdout, stderr: result.stderr, code: result.status}
}

function fail(what, result) {
  console.error(`${what} failed (exit ${result.code}):\n${result.stderr}`)
  process.exit(1)
}

if (!existsSync(join(ROOT, 'dist/main.cjs'))) {
  console.error('dist/ is missing: run `npm run build` first.')
  process.exit(1)
}

// 1. Startup against bare node, interleaved, alternating which goes first.
const stateDir = join(EXAMPLE, 'state')
const hadState = existsSync(stateDir)
const planTimes = []
const nodeTimes = []
run([BIN, 'plan'], {cwd: EXAMPLE}) // warm the file cache
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? ['node', 'plan'] : ['plan', 'node']
  for (const which of order) {
    if (which === 'node') nodeTimes.push(run(['-e', '0'], {cwd: EXAMPLE}).wallMs)
    else {
      const result = run([BIN, 'plan'], {cwd: EXAMPLE})
      if (result.code !== 0) fail('compctl plan on examples/dns', result)
      planTimes.push(result.wallMs)
    }
  }
}
if (!hadState && existsSync(stateDir)) {
  rmSync(stateDir, {recursive: true, force: true})
  console.error('note: `plan` created examples/dns/state (it should only read); removed it.')
}
const planMedian = median(planTimes)
const nodeMedian = median(nodeTimes)
const ratio = planMedian / nodeMedian

// 2. Scale.
const scratch = mkdtempSync(join(tmpdir(), 'compctl-bench-'))
const rows = []
try {
  const jobs = [
    ...SIZES.map((size) => ({size, format: 'json', parseCache: false})),
    ...YAML_SIZES.map((size) => ({size, format: 'yaml', parseCache: false})),
    ...SIZES.map((size) => ({size, format: 'json', parseCache: true})),
    ...YAML_SIZES.map((size) => ({size, format: 'yaml', parseCache: true})),
  ]
  for (const {size, format, parseCache} of jobs) {
    const spec = generateSpec(size)
    const file = join(scratch, `components-${size}.${format}`)
    const text = format === 'json' ? JSON.stringify(spec, null, 2) + '\n' : stringify(spec)
    writeFileSync(file, text)
    const expectedSteps = size + Object.keys(spec.changes).length
    const walls = []
    const rss = []
    // The first run on the file, which writes its parse cache entry, is not measured.
    if (parseCache) run([BIN, 'plan', '--json', '-f', file], {cwd: scratch})
    for (let i = 0; i < SIZE_RUNS; i++) {
      const result = run([BIN, 'plan', '--json', '-f', file], {cwd: scratch, memory: true, parseCache})
      if (result.code !== 0) fail(`plan --json on ${size} components (${format})`, result)
      const steps = JSON.parse(result.stdout).steps.length
      if (steps !== expectedSteps) fail(`plan --json on ${size} components, ${format} (${steps} steps, expected ${expectedSteps})`, result)
      walls.push(result.wallMs)
      if (result.maxRssKb !== undefined) rss.push(result.maxRssKb)
    }
    rows.push({size, format: parseCache ? `${format}, parse cache` : format, bytes: Buffer.byteLength(text), wall: median(walls), rss: rss.length ? Math.max(...rss) : undefined})
    rmSync(file)
  }
} finally {
  rmSync(scratch, {recursive: true, force: true})
}

const verdict = (ok) => (ok ? 'met' : '**missed**')
const out = []
out.push(`## compctl plan: startup (${RUNS} interleaved runs each, medians)`, '')
out.push('| command | median wall | min | max |', '|---|---|---|---|')
out.push(`| \`node -e 0\` | ${ms(nodeMedian)} | ${ms(Math.min(...nodeTimes))} | ${ms(Math.max(...nodeTimes))} |`)
out.push(`| \`compctl plan\` (examples/dns) | ${ms(planMedian)} | ${ms(Math.min(...planTimes))} | ${ms(Math.max(...planTimes))} |`)
out.push('', `Ratio plan / node: **${ratio.toFixed(2)}×** (goal ≤ 1.6×: ${verdict(ratio <= 1.6)})`, '')
out.push(`## compctl plan --json: scale (median of ${SIZE_RUNS} runs; peak = highest max RSS, via ${HAVE_GNU_TIME ? 'GNU time %M' : 'VmHWM preload'})`, '')
out.push('| file | components | size | median wall | peak memory | wall per component | marginal per component |', '|---|---|---|---|---|---|---|')
rows.forEach((row, i) => {
  const previous = rows[i - 1]?.format === row.format ? rows[i - 1] : undefined
  const marginal = previous ? `${((1000 * (row.wall - previous.wall)) / (row.size - previous.size)).toFixed(1)} µs` : '–'
  out.push(
    `| ${row.format.replace(/^\w+/, (word) => word.toUpperCase())} | ${row.size.toLocaleString('en-US')} | ${(row.bytes / 1048576).toFixed(1)} MB | ${ms(row.wall)} | ${row.rss === undefined ? 'n/a' : mb(row.rss)} | ${((1000 * row.wall) / row.size).toFixed(1)} µs | ${marginal} |`,
  )
})
out.push('')
for (const row of rows.filter((r) => r.size === 10000 && r.format in GOAL_MS)) {
  const goal = GOAL_MS[row.format]
  out.push(`10,000 components, ${row.format.toUpperCase()}: ${ms(row.wall)} (goal < ${goal} ms: ${verdict(row.wall < goal)}), ${row.rss === undefined ? 'n/a' : mb(row.rss)} peak (goal < 250 MB: ${verdict(row.rss !== undefined && row.rss < 250 * 1024)})`)
}
out.push('', `Marginal cost = extra wall time per extra component between consecutive sizes (flat = linear). Node ${process.version}.`)
console.log(out.join('\n'))
