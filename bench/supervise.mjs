// What does `compctl supervise` cost while nothing happens, next to supervisord? Prints markdown;
// not run in CI (figures depend on the machine).
//
//   node scripts/build.mjs && node bench/supervise.mjs [--n=100] [--seconds=60]
//
// Both supervisors run at the same time, each with N idle `sleep 3600` programs (compctl: N
// components; supervisord: N [program:x] sections, autostart, stdout to a log file each). Once all
// N of both are running and a settling pause has passed, each daemon's own CPU time (utime+stime of
// its /proc/PID/stat, and at ns precision the sum of its threads' schedstat: the supervisor
// process, not its children) is read at the start and the end of the same window, and its resident memory (VmRSS of /proc/PID/status) every second; the table
// gives CPU seconds and % of one core over the window, and RSS at the end and at its peak.
//
// supervisord comes from Debian's `supervisor` package (bench/apply-peers.mjs: the system's, or
// apt-get download + dpkg-deb -x into bench/.scratch/). Every process started is stopped at the
// end, on error and on Ctrl-C; leftover sleeps are found by their marker and killed by group.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {installSupervisor} from './apply-peers.mjs'
import {killProcesses, MARKER, markedProcesses, pidAlive} from './apply-procs.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin/run.js')
const SCRATCH = join(ROOT, 'bench/.scratch')
const DIR = join(SCRATCH, 'supervise-bench')

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`))
  return Number(arg ? arg.slice(name.length + 3) : fallback)
}
const N = option('n', 100)
const SECONDS = option('seconds', 60)
const SETTLE_MS = 5000
const TICKS_PER_SECOND = 100
const RSS_GOAL_MB = 100

if (!existsSync(join(ROOT, 'dist/main.cjs'))) {
  console.error('dist/ is missing: run `node scripts/build.mjs` first.')
  process.exit(1)
}

const marker = `${process.pid}:supervise-bench`
const names = Array.from({length: N}, (_, i) => `p${String(i).padStart(3, '0')}`)

/** utime+stime of one process, in seconds; null when it is gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

/** CPU time of every thread of one process in seconds, at nanosecond precision (/proc/PID/task/TID/schedstat); null when it is gone. */
function preciseCpuSeconds(pid) {
  try {
    let ns = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    return ns / 1e9
  } catch {
    return null
  }
}

function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

const daemons = []
let cleaning = null

/** Stops both supervisors (each stops its programs), then kills any sleep of ours still running. */
function cleanUp() {
  cleaning ??= (async () => {
    for (const daemon of daemons) if (pidAlive(daemon.child.pid)) daemon.child.kill('SIGTERM')
    const deadline = performance.now() + 30_000
    while (daemons.some((d) => pidAlive(d.child.pid)) && performance.now() < deadline) await sleep(50)
    for (const daemon of daemons) if (pidAlive(daemon.child.pid)) daemon.child.kill('SIGKILL')
    const left = killProcesses(markedProcesses((m) => m === marker))
    if (left > 0) console.error(`killed ${left} sleep(s) left running`)
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    console.error(`${signal}: stopping what the bench started`)
    void cleanUp().then(() => process.exit(130))
  })

/** A daemon in the foreground, its output kept for a failure message. */
function startDaemon(name, command, args, options) {
  const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout.on('data', (d) => (output = (output + d).slice(-4000)))
  child.stderr.on('data', (d) => (output = (output + d).slice(-4000)))
  const daemon = {name, child, output: () => output}
  daemons.push(daemon)
  return daemon
}

async function waitUntil(what, check, daemon, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (!pidAlive(daemon.child.pid)) throw new Error(`${daemon.name} ended before ${what}:\n${daemon.output()}`)
    if (performance.now() > deadline) throw new Error(`${daemon.name}: timed out waiting for ${what}:\n${daemon.output()}`)
    await sleep(200)
  }
}

const runningSleeps = (tool) => markedProcesses((m) => m === marker).filter((p) => readFileSync(`/proc/${p.pid}/environ`, 'latin1').includes(`BENCH_TOOL=${tool}`)).length

async function startCompctl() {
  const project = join(DIR, 'compctl')
  mkdirSync(project, {recursive: true})
  const components = names.map((name) => `  ${name}: {command: [sleep, "3600"], env: {${MARKER}: "${marker}", BENCH_TOOL: compctl}}`).join('\n')
  writeFileSync(join(project, 'compctl.yaml'), `version: 1\nproject: supervise-bench\nsettings: {parallelism: 16}\ncomponents:\n${components}\n`)
  const daemon = startDaemon('compctl supervise', process.execPath, [BIN, 'supervise', '--json'], {cwd: project, env: {...process.env, NO_COLOR: '1'}})
  await waitUntil(`${N} running components`, () => daemon.output().includes('"supervising '), daemon)
  return daemon
}

async function startSupervisord(install) {
  const home = join(DIR, 'supervisord')
  mkdirSync(join(home, 'logs'), {recursive: true})
  const conf = join(home, 'supervisord.conf')
  const programs = names.map(
    (name) =>
      `[program:${name}]\ncommand=sleep 3600\nautostart=true\nautorestart=true\nstartsecs=0\nredirect_stderr=true\n` +
      `stdout_logfile=${join(home, 'logs', `${name}.log`)}\nenvironment=${MARKER}="${marker}",BENCH_TOOL="supervisord"\n`,
  )
  writeFileSync(
    conf,
    [
      `[unix_http_server]\nfile=${join(home, 'supervisor.sock')}\n`,
      `[supervisord]\nnodaemon=true\nlogfile=${join(home, 'supervisord.log')}\npidfile=${join(home, 'supervisord.pid')}\nchildlogdir=${join(home, 'logs')}\n`,
      '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n',
      `[supervisorctl]\nserverurl=unix://${join(home, 'supervisor.sock')}\n`,
      ...programs,
    ].join('\n'),
  )
  const daemon = startDaemon('supervisord', install.supervisord[0], [...install.supervisord.slice(1), '-c', conf], {cwd: home, env: {...process.env, ...install.env}})
  await waitUntil(`${N} RUNNING programs`, () => runningSleeps('supervisord') === N, daemon)
  return daemon
}

try {
  rmSync(DIR, {recursive: true, force: true})
  mkdirSync(DIR, {recursive: true})
  const install = installSupervisor(SCRATCH)
  const [compctl, supervisord] = await Promise.all([startCompctl(), startSupervisord(install)])
  if (runningSleeps('compctl') !== N) throw new Error(`compctl supervise runs ${runningSleeps('compctl')} of ${N} sleeps`)
  await sleep(SETTLE_MS)

  const measured = [compctl, supervisord].map((daemon) => ({daemon, pid: daemon.child.pid, cpuAtStart: cpuSeconds(daemon.child.pid), preciseAtStart: preciseCpuSeconds(daemon.child.pid), rss: []}))
  const began = performance.now()
  while (performance.now() - began < SECONDS * 1000) {
    for (const m of measured) m.rss.push(rssBytes(m.pid))
    await sleep(1000)
  }
  const wall = (performance.now() - began) / 1000
  for (const m of measured) {
    m.cpu = cpuSeconds(m.pid) - m.cpuAtStart
    m.precise = preciseCpuSeconds(m.pid) - m.preciseAtStart
    m.rss.push(rssBytes(m.pid))
    if (m.rss.some((r) => r === null)) throw new Error(`${m.daemon.name} ended during the measurement:\n${m.daemon.output()}`)
  }
  const stillAll = runningSleeps('compctl') === N && runningSleeps('supervisord') === N

  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)
  const [ours, theirs] = measured
  console.log(`# supervise: ${N} idle programs, ${wall.toFixed(0)} s window\n`)
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}; Node ${process.version}; ${install.how}.`)
  console.log(
    'Both ran at once. CPU: of the supervisor process itself (all its threads, not its children) over the window: utime+stime of /proc/PID/stat (10 ms ticks) and the sum of /proc/PID/task/*/schedstat (ns). RSS: VmRSS sampled every second.\n',
  )
  console.log('| supervisor | CPU time (stat) | CPU time (schedstat) | CPU % of one core | RSS at end | RSS peak |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const m of measured) {
    const label = m === ours ? '`compctl supervise`' : 'supervisord'
    console.log(`| ${label} | ${m.cpu.toFixed(2)} s | ${m.precise.toFixed(3)} s | ${((m.precise / wall) * 100).toFixed(3)}% | ${mb(m.rss.at(-1))} MB | ${mb(Math.max(...m.rss))} MB |`)
  }
  console.log('')
  console.log(`Goal: CPU ≤ supervisord's: ${ours.precise <= theirs.precise ? 'met' : 'NOT met'} (${ours.precise.toFixed(3)} s vs ${theirs.precise.toFixed(3)} s, schedstat).`)
  console.log(`Goal: RSS under ${RSS_GOAL_MB} MB: ${Math.max(...ours.rss) < RSS_GOAL_MB * 1024 * 1024 ? 'met' : 'NOT met'} (peak ${mb(Math.max(...ours.rss))} MB).`)
  if (!stillAll) console.log('Warning: not every sleep was still running at the end of the window.')
  await cleanUp()
} catch (error) {
  console.error(`bench failed: ${error.message}`)
  await cleanUp()
  process.exit(1)
}
