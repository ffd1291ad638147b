// How fast is `compctl apply` next to supervisord and pm2? Prints markdown; not run in CI (timings
// depend on the machine).
//
//   node scripts/build.mjs && node bench/apply.mjs [--runs=7] [--warmup=1] [--sizes=10,100] [--parse-cache=off]
//
// For N `sleep 3600` processes that count as started at once (no readiness probe), three phases:
//   cold      nothing running -> all N running
//   no-op     all running, nothing to do (the tool's "make it so" command again)
//   teardown  all running -> none
// Each tool's method is printed with the table. Tools take turns within each round (rotating who
// goes first) so a busy machine slows all alike; medians over the rounds, after warm-up rounds.
//
// When a phase counts as done, checked the same way for all three: the command has exited AND /proc
// agrees (cold: N live sleeps carrying this run's marker; teardown: none of the pids seen before is
// left). Each tool's own status view (compctl status, supervisorctl status, pm2 jlist) then confirms
// the cold start, untimed: calling it costs a CLI start, which would measure the status command
// rather than the apply. Its cost is printed separately.
//
// Peers are installed into bench/.scratch/ (git-ignored) on first use, with their own PM2_HOME and
// supervisord socket/config there. Every process started is stopped at the end, on error, and on
// Ctrl-C; leftover sleeps are killed by process group.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {commandRunner, compctlTool, installPm2, installSupervisor, pm2Tool, supervisordTool} from './apply-peers.mjs'
import {killProcesses, markedProcesses, pidAlive, stillRunning, waitUntilAllGone} from './apply-procs.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin/run.js')
const SCRATCH = join(ROOT, 'bench/.scratch')

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  return arg ? arg.slice(name.length + 3) : fallback
}
const RUNS = Number(option('runs', '7'))
const WARMUP = Number(option('warmup', '1'))
const SIZES = option('sizes', '10,100').split(',').map(Number)
// --parse-cache=off: compctl parses its file at every run, as on a first run (src/config/parse-cache.ts).
const PARSE_CACHE = option('parse-cache', 'on') !== 'off'
const PHASES = ['cold', 'noop', 'teardown']
const PHASE_LABEL = {cold: 'cold apply (none → all running)', noop: 'no-op apply (nothing to do)', teardown: 'teardown (all → none)'}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
const ms = (x) => `${x.toFixed(0)} ms`

if (!existsSync(join(ROOT, 'dist/main.cjs'))) {
  console.error('dist/ is missing: run `node scripts/build.mjs` first.')
  process.exit(1)
}

// Marker values are "<bench pid>:<tool>": this run's own processes, and those of an earlier run that
// died without cleaning up (its pid is gone), which are swept before starting.
const markerFor = (tool) => `${process.pid}:${tool}`
const ours = (marker) => marker.startsWith(`${process.pid}:`)
const abandoned = (marker) => {
  const pid = Number(marker.split(':')[0])
  return pid !== process.pid && Number.isInteger(pid) && !pidAlive(pid)
}

const swept = killProcesses(markedProcesses(abandoned))
if (swept) console.error(`killed ${swept} sleep(s) left by an earlier bench run that did not finish`)

/** A daemon named in a pid file of a dead run: killed when the pid still runs that program (not a reused pid). */
function killDaemon(pidFile, program) {
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  if (!pidAlive(pid)) return
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  if (!cmdline.includes(program)) return
  process.kill(pid, 'SIGKILL')
  console.error(`killed ${program} (pid ${pid}) left by an earlier bench run`)
}

mkdirSync(SCRATCH, {recursive: true})
// Runs killed with SIGKILL could not clean up: their daemons and folders go now.
for (const entry of readdirSync(SCRATCH)) {
  const runPid = /^run-(\d+)$/.exec(entry)?.[1]
  if (!runPid || pidAlive(Number(runPid))) continue
  const folder = join(SCRATCH, entry)
  for (const sub of readdirSync(folder)) if (sub.startsWith('supervisord-')) killDaemon(join(folder, sub, 'supervisord.pid'), 'supervisord')
  killDaemon(join(folder, 'pm2-home', 'pm2.pid'), 'PM2')
  rmSync(folder, {recursive: true, force: true})
}
const pm2Install = installPm2(SCRATCH)
const supervisorInstall = installSupervisor(SCRATCH)
const runDir = join(SCRATCH, `run-${process.pid}`)
mkdirSync(runDir, {recursive: true})

const commands = commandRunner()
const tools = [
  compctlTool({commands, bin: BIN, dir: runDir, marker: markerFor('compctl'), parseCache: PARSE_CACHE}),
  supervisordTool({commands, install: supervisorInstall, dir: runDir, marker: markerFor('supervisord')}),
  pm2Tool({commands, install: pm2Install, dir: runDir, marker: markerFor('pm2')}),
]

let cleaning = null
function cleanup() {
  cleaning ??= (async () => {
    await commands.stopAll()
    for (const tool of tools) {
      try {
        await tool.shutdown()
      } catch (error) {
        console.error(`stopping ${tool.name}: ${error.message}`)
      }
    }
    const left = killProcesses(markedProcesses(ours))
    if (left) console.error(`killed ${left} leftover sleep(s) by process group`)
    rmSync(runDir, {recursive: true, force: true})
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping everything the bench started...`)
    cleanup().finally(() => process.exit(130))
  })
}

const loadBefore = loadavg()
const distBuilt = statSync(join(ROOT, 'dist/main.cjs')).mtimeMs
const results = {} // results[n][tool][phase] = [ms, ...]
const confirmMs = {} // confirmMs[tool] = [ms, ...]
const noopRestarts = {} // noopRestarts[n][tool] = [pids replaced by the no-op, per round]

/** Runs a phase command: fails the bench on a non-zero exit (nothing would be comparable). */
async function timed(tool, phase) {
  const result = await commands.run(tool[phase]())
  if (result.code !== 0) throw new Error(`${tool.name} ${phase} failed (exit ${result.code ?? result.signal}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`)
  return result
}

/**
 * When a phase that ends with all `n` sleeps running is done: the command's exit when /proc already
 * shows them then, else the first later look that does. Returns that time and the sleeps.
 */
async function runningAfter(tool, n, exited) {
  const deadline = performance.now() + 60_000
  for (let look = 0; ; look++) {
    const found = markedProcesses((marker) => marker === markerFor(tool.name))
    if (found.length === n) return {found, end: look === 0 ? exited : performance.now()}
    if (performance.now() > deadline) throw new Error(`${tool.name}: ${found.length} marked sleeps running 60s after the command, expected ${n}`)
    await new Promise((resolveWait) => setTimeout(resolveWait, 5))
  }
}

/** When a teardown is done: the command's exit when none of `running` is left then, else when the last is gone. */
async function goneAfter(tool, running, exited) {
  if (!running.some(stillRunning)) return exited
  if (!(await waitUntilAllGone(running))) throw new Error(`${tool.name}: sleeps still running 60s after teardown`)
  return performance.now()
}

async function round(n, order, record) {
  for (const tool of order) {
    const cold = await timed(tool, 'cold')
    const up = await runningAfter(tool, n, cold.exited)
    const confirmed = await tool.confirm(n)
    if (!confirmed.ok) throw new Error(`${tool.name}: cold apply done by /proc but ${confirmed.detail}`)

    const noop = await timed(tool, 'noop')
    const still = await runningAfter(tool, n, noop.exited)
    const replaced = up.found.filter((proc) => !stillRunning(proc)).length

    const teardown = await timed(tool, 'teardown')
    const teardownEnd = await goneAfter(tool, still.found, teardown.exited)
    const stray = markedProcesses((marker) => marker === markerFor(tool.name))
    if (stray.length) throw new Error(`${tool.name}: ${stray.length} marked sleeps left after teardown (pids ${stray.map((p) => p.pid).join(', ')})`)

    if (!record) continue
    const slot = ((results[n] ??= {})[tool.name] ??= {cold: [], noop: [], teardown: []})
    slot.cold.push(up.end - cold.started)
    slot.noop.push(still.end - noop.started)
    slot.teardown.push(teardownEnd - teardown.started)
    ;((noopRestarts[n] ??= {})[tool.name] ??= []).push(replaced)
    ;(confirmMs[tool.name] ??= []).push(confirmed.ms)
  }
}

try {
  for (const n of SIZES) {
    for (const tool of tools) await tool.prepare(n)
    for (let r = 0; r < WARMUP + RUNS; r++) {
      const order = tools.map((_, i) => tools[(i + r) % tools.length])
      process.stderr.write(`N=${n} ${r < WARMUP ? 'warm-up' : `round ${r - WARMUP + 1}/${RUNS}`}: ${order.map((t) => t.name).join(', ')}\n`)
      await round(n, order, r >= WARMUP)
    }
    for (const tool of tools) await tool.release()
  }
} catch (error) {
  console.error(error.message)
  await cleanup()
  process.exit(1)
}
await cleanup()
const loadAfter = loadavg()

// --- report ------------------------------------------------------------------------------------
const names = tools.map((t) => t.name)
const ratio = (a, b) => `${(a / b).toFixed(2)}×`
const out = []
out.push(`## compctl apply vs supervisord and pm2 (N \`sleep 3600\`, no readiness probe; median of ${RUNS} rounds after ${WARMUP} warm-up)`, '')
out.push('| N | phase | compctl | supervisord | pm2 | compctl / supervisord | compctl / pm2 |', '|---|---|---|---|---|---|---|')
// Goals of issue #16, each a ratio to the faster peer (or to supervisorctl update) from this run.
const GOALS = {cold: {limit: 0.8, sizes: [10, 100]}, teardown: {limit: 0.6, sizes: [100]}}
const goals = []
for (const n of SIZES) {
  for (const phase of PHASES) {
    const [c, s, p] = names.map((name) => median(results[n][name][phase]))
    out.push(`| ${n} | ${PHASE_LABEL[phase]} | ${ms(c)} | ${ms(s)} | ${ms(p)} | ${ratio(c, s)} | ${ratio(c, p)} |`)
    const goal = GOALS[phase]
    if (goal?.sizes.includes(n)) goals.push({what: `N=${n} ${phase}: compctl ${ratio(c, Math.min(s, p))} the faster peer (goal ≤ ${goal.limit}×)`, met: c <= goal.limit * Math.min(s, p)})
    if (phase === 'noop' && n === 100) goals.push({what: `N=100 no-op: compctl ${ratio(c, s)} \`supervisorctl update\` (goal ≤ 0.6×)`, met: c <= 0.6 * s})
  }
}
out.push('', 'Spread (min–max over the rounds):', '')
out.push('| N | phase | compctl | supervisord | pm2 |', '|---|---|---|---|---|')
for (const n of SIZES) {
  for (const phase of PHASES) {
    const cells = names.map((name) => `${ms(Math.min(...results[n][name][phase]))}–${ms(Math.max(...results[n][name][phase]))}`)
    out.push(`| ${n} | ${phase} | ${cells.join(' | ')} |`)
  }
}
out.push('', 'Goals:', '')
for (const goal of goals) out.push(`- ${goal.what}: ${goal.met ? 'met' : '**missed**'}`)

out.push('', 'Processes replaced by the no-op (median per round): ' + SIZES.map((n) => `N=${n}: ${names.map((name) => `${name} ${median(noopRestarts[n][name])}`).join(', ')}`).join('; '))
out.push('', 'Method:', '')
for (const tool of tools) out.push(`- ${tool.name}: cold ${tool.methods.cold}; no-op ${tool.methods.noop}; teardown ${tool.methods.teardown}.`)
out.push(
  '- Done = the command exited and /proc agrees (cold: N live sleeps with the run\'s marker in their environment; teardown: every pid seen before is gone). ' +
    'The status views were then checked untimed; one call costs (median): ' +
    names.map((name) => `${name} ${ms(median(confirmMs[name]))}`).join(', ') +
    ' (compctl status --json, supervisorctl status, pm2 jlist).',
)
out.push(`- supervisord: ${supervisorInstall.how}; its config is parsed when it starts (not counted); compctl reads and validates its file in every apply, ${PARSE_CACHE ? 'parsing it in the first (the parse cache then holds its data)' : 'parsing it every time (--parse-cache=off)'}. pm2 ${pm2Install.version} from npm.`)
const cpu = cpus()
out.push(`- Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), shared with other jobs and noisy; load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after. Node ${process.version}.`)
console.log(out.join('\n'))
const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: ROOT, encoding: 'utf8'}).stdout.trim()
const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], {cwd: ROOT, encoding: 'utf8'}).stdout.trim() !== ''
const rebuilt = statSync(join(ROOT, 'dist/main.cjs')).mtimeMs !== distBuilt
console.log(
  `- compctl: dist/ built ${new Date(distBuilt).toISOString()}, git ${head || 'unknown'}${dirty ? ' (src/ has uncommitted changes)' : ''}` +
    `${rebuilt ? '; dist/ was rebuilt during the run, so later rounds ran a newer build' : ''}.`,
)
const osRelease = existsSync('/etc/os-release') ? /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] : undefined
if (osRelease) console.log(`- OS: ${osRelease}.`)
