// The three tools bench/apply.mjs compares, each behind the same small interface:
//   prepare(n)        untimed: write the tool's file for n sleeps, start its daemon if it has one
//   cold/noop/teardown()  the timed commands, as {command, args, cwd, env}
//   confirm(n)        untimed: the tool's own status view agrees that all n are up
//   release()         untimed: stop the daemon started by prepare (supervisord is per n)
//   shutdown()        stop whatever is left; safe to call more than once, and from a signal handler
// Installs the peers into bench/.scratch/ on first use; nothing global is touched.
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {MARKER, pidAlive} from './apply-procs.mjs'

const SLEEP_SECONDS = '3600'
const names = (n) => Array.from({length: n}, (_, i) => `p${String(i).padStart(3, '0')}`)

/**
 * Runs commands for the bench and keeps track of those still running, so that a bench stopped by a
 * signal can stop them before it cleans up (a compctl apply left running would go on starting sleeps).
 */
export function commandRunner() {
  const running = new Set()

  /**
   * Runs a command to completion: exit code, output, and its start (just before the spawn) and exit
   * as performance.now() times, with the wall time between them in ms. A command still running
   * after `timeoutMs` is killed (the bench must not hang).
   */
  function run({command, args, cwd, env}, {timeoutMs = 180_000} = {}) {
    return new Promise((resolveRun, rejectRun) => {
      const started = performance.now()
      const child = spawn(command, args, {cwd, env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
      const out = []
      const err = []
      child.stdout.on('data', (chunk) => out.push(chunk))
      child.stderr.on('data', (chunk) => err.push(chunk))
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const closed = new Promise((resolveClosed) => child.on('close', resolveClosed))
      const entry = {child, closed}
      running.add(entry)
      child.on('error', (error) => {
        clearTimeout(timer)
        running.delete(entry)
        rejectRun(new Error(`could not run ${command}: ${error.message}`))
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        running.delete(entry)
        const exited = performance.now()
        resolveRun({code, signal, started, exited, ms: exited - started, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')})
      })
    })
  }

  async function mustRun(what, spec) {
    const result = await run(spec)
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`)
    return result
  }

  /** SIGTERM to every command still running (compctl takes it as Ctrl-C), SIGKILL after 15s; waits for them. */
  async function stopAll() {
    await Promise.all(
      [...running].map(async ({child, closed}) => {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await closed
        clearTimeout(timer)
      }),
    )
  }

  return {run, mustRun, stopAll}
}

// --- installers --------------------------------------------------------------------------------

const PM2_VERSION = '7.0.4'

/**
 * pm2 from the npm registry into SCRATCH/pm2 (once); returns the path of its CLI script. The folder
 * gets a package.json of its own first: without one, npm looks up the tree for a project, finds
 * compctl's, and installs compctl's dependencies instead.
 */
export function installPm2(scratch) {
  const folder = join(scratch, 'pm2')
  const cli = join(folder, 'node_modules/pm2/bin/pm2')
  if (!existsSync(cli)) {
    console.error(`installing pm2 ${PM2_VERSION} into ${folder} (npm install)...`)
    mkdirSync(folder, {recursive: true})
    writeFileSync(join(folder, 'package.json'), JSON.stringify({name: 'compctl-bench-pm2', private: true}, null, 2) + '\n')
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `pm2@${PM2_VERSION}`], {cwd: folder, stdio: 'inherit'})
    if (npm.status !== 0 || !existsSync(cli)) throw new Error('npm install pm2 failed; see the output above')
  }
  const version = JSON.parse(readFileSync(join(folder, 'node_modules/pm2/package.json'), 'utf8')).version
  return {cli, version}
}

const onPath = (program) => spawnSync('sh', ['-c', `command -v ${program}`], {encoding: 'utf8'}).stdout.trim()

/**
 * supervisord: the system's when installed; otherwise Debian's `supervisor` package unpacked into
 * SCRATCH/supervisor (apt-get download + dpkg-deb -x) and run from there with the system python3.
 * Unpacking rather than `apt-get install` keeps the package's system service (init script and
 * /etc/supervisor/supervisord.conf, started at install and at boot where an init system runs) off
 * the machine: the bench runs the same Debian-built code without registering anything.
 */
export function installSupervisor(scratch) {
  const systemD = onPath('supervisord')
  const systemCtl = onPath('supervisorctl')
  if (systemD && systemCtl) {
    const version = spawnSync(systemD, ['--version'], {encoding: 'utf8'}).stdout.trim()
    return {how: `system supervisord ${version} (${systemD})`, supervisord: [systemD], supervisorctl: [systemCtl], env: {}, version}
  }
  const root = join(scratch, 'supervisor')
  const sitePackages = join(root, 'usr/lib/python3/dist-packages')
  if (!existsSync(join(sitePackages, 'supervisor'))) {
    console.error("unpacking Debian's supervisor package into bench/.scratch/supervisor (apt-get download + dpkg-deb -x)...")
    const debs = join(scratch, 'supervisor-deb')
    mkdirSync(debs, {recursive: true})
    const download = () => spawnSync('apt-get', ['download', 'supervisor'], {cwd: debs, stdio: ['ignore', 'inherit', 'inherit']})
    if (download().status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], {stdio: 'inherit'})
      if (download().status !== 0) throw new Error('apt-get download supervisor failed; see the output above')
    }
    const deb = readdirSync(debs).find((file) => /^supervisor_.*\.deb$/.test(file))
    if (!deb || spawnSync('dpkg-deb', ['-x', join(debs, deb), root], {stdio: 'inherit'}).status !== 0) throw new Error(`dpkg-deb -x of ${deb ?? 'the supervisor package'} failed`)
  }
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
  const env = {PYTHONPATH: sitePackages}
  const probe = spawnSync(python, ['-c', 'import supervisor.options, pkg_resources; print(supervisor.options.VERSION)'], {encoding: 'utf8', env: {...process.env, ...env}})
  if (probe.status !== 0) throw new Error(`supervisor does not load with ${python} (it needs pkg_resources: apt-get install python3-pkg-resources):\n${probe.stderr}`)
  const version = probe.stdout.trim()
  return {
    how: `Debian's supervisor ${version}, unpacked into bench/.scratch/supervisor, run with ${python}`,
    supervisord: [python, '-m', 'supervisor.supervisord'],
    supervisorctl: [python, '-m', 'supervisor.supervisorctl'],
    env,
    version,
  }
}

// --- compctl -----------------------------------------------------------------------------------

/** compctl keeps parsed files (src/config/parse-cache.ts) in a cache folder of this run's; `parseCache: false` runs it with the cache off. */
export function compctlTool({commands, bin, dir, marker, parseCache = true}) {
  let project = null
  const env = {COMPCTL_CACHE_DIR: join(dir, 'compctl-cache'), COMPCTL_PARSE_CACHE: parseCache ? '1' : '0'}
  const cli = (...args) => ({command: process.execPath, args: [bin, ...args], cwd: project, env})
  return {
    name: 'compctl',
    methods: {
      cold: '`compctl apply --auto-approve` (generated compctl.yaml, `settings.parallelism: N`)',
      noop: `\`compctl apply --auto-approve\` again (${parseCache ? 'the file read from the parse cache the cold apply wrote' : 'parse cache off: the file parsed again'})`,
      teardown: '`compctl destroy --auto-approve`',
    },
    async prepare(n) {
      project = join(dir, `compctl-${n}`)
      mkdirSync(project, {recursive: true})
      const components = names(n)
        .map((name) => `  ${name}: {command: [sleep, "${SLEEP_SECONDS}"], env: {${MARKER}: "${marker}"}}`)
        .join('\n')
      writeFileSync(join(project, 'compctl.yaml'), `version: 1\nproject: apply-bench-${n}\nsettings: {stateDir: state, parallelism: ${n}}\ncomponents:\n${components}\n`)
    },
    cold: () => cli('apply', '--auto-approve'),
    noop: () => cli('apply', '--auto-approve'),
    teardown: () => cli('destroy', '--auto-approve'),
    async confirm(n) {
      const result = await commands.mustRun('compctl status --json', cli('status', '--json'))
      const running = JSON.parse(result.stdout).components.filter((component) => component.status === 'running').length
      return {ok: running === n, detail: `compctl status: ${running}/${n} running`, ms: result.ms}
    },
    async release() {},
    async shutdown() {
      if (project === null || !existsSync(join(project, 'state'))) return
      await commands.run(cli('destroy', '--auto-approve'), {timeoutMs: 60_000}).catch(() => {})
    },
  }
}

// --- supervisord -------------------------------------------------------------------------------

export function supervisordTool({commands, install, dir, marker}) {
  let conf = null
  let daemonPid = null
  const ctl = (...args) => ({command: install.supervisorctl[0], args: [...install.supervisorctl.slice(1), '-c', conf, ...args], cwd: dir, env: install.env})

  async function stopDaemon() {
    if (daemonPid === null) return
    const pid = daemonPid
    // `shutdown` stops the programs (stopsignal TERM) and then supervisord itself.
    await commands.run(ctl('shutdown'), {timeoutMs: 30_000}).catch(() => {})
    const deadline = performance.now() + 15_000
    while (pidAlive(pid) && performance.now() < deadline) await sleep(20)
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL')
    daemonPid = null
  }

  return {
    name: 'supervisord',
    methods: {
      cold: '`supervisorctl start all` (N programs, autostart=false, startsecs=0; supervisord already running with them)',
      noop: '`supervisorctl update` (config unchanged)',
      teardown: '`supervisorctl stop all`',
    },
    async prepare(n) {
      const home = join(dir, `supervisord-${n}`)
      mkdirSync(join(home, 'logs'), {recursive: true})
      conf = join(home, 'supervisord.conf')
      const programs = names(n).map(
        (name) =>
          `[program:${name}]\ncommand=sleep ${SLEEP_SECONDS}\nautostart=false\nautorestart=false\nstartsecs=0\nredirect_stderr=true\n` +
          `stdout_logfile=${join(home, 'logs', `${name}.log`)}\nenvironment=${MARKER}="${marker}"\n`,
      )
      writeFileSync(
        conf,
        [
          `[unix_http_server]\nfile=${join(home, 'supervisor.sock')}\n`,
          `[supervisord]\nlogfile=${join(home, 'supervisord.log')}\npidfile=${join(home, 'supervisord.pid')}\nchildlogdir=${join(home, 'logs')}\n`,
          '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n',
          `[supervisorctl]\nserverurl=unix://${join(home, 'supervisor.sock')}\n`,
          ...programs,
        ].join('\n'),
      )
      // supervisord daemonizes; its pid file says which process to stop at the end.
      await commands.mustRun('supervisord', {command: install.supervisord[0], args: [...install.supervisord.slice(1), '-c', conf], cwd: home, env: install.env})
      const pidFile = join(home, 'supervisord.pid')
      const deadline = performance.now() + 15_000
      for (;;) {
        if (existsSync(pidFile)) daemonPid = Number(readFileSync(pidFile, 'utf8').trim()) || null
        if (daemonPid !== null && (await commands.run(ctl('pid'))).code === 0) break
        if (performance.now() > deadline) throw new Error(`supervisord did not come up; see ${join(home, 'supervisord.log')}`)
        await sleep(50)
      }
    },
    cold: () => ctl('start', 'all'),
    noop: () => ctl('update'),
    teardown: () => ctl('stop', 'all'),
    async confirm(n) {
      // Exit status 3 means "not all running": the lines say which.
      const result = await commands.run(ctl('status'))
      const running = result.stdout.split('\n').filter((line) => /\sRUNNING\s/.test(line)).length
      return {ok: running === n, detail: `supervisorctl status: ${running}/${n} RUNNING`, ms: result.ms}
    },
    release: stopDaemon,
    shutdown: stopDaemon,
  }
}

// --- pm2 ---------------------------------------------------------------------------------------

export function pm2Tool({commands, install, dir, marker}) {
  const home = join(dir, 'pm2-home')
  let project = null
  let daemonStarted = false
  const pm2 = (...args) => ({command: process.execPath, args: [install.cli, ...args], cwd: project ?? dir, env: {PM2_HOME: home}})

  return {
    name: 'pm2',
    methods: {
      cold: '`pm2 start ecosystem.config.cjs` (N apps: script sleep, args 3600, interpreter none, autorestart false; daemon already up via `pm2 ping`)',
      noop: '`pm2 start ecosystem.config.cjs` again (pm2 has no command that leaves running apps alone: start, startOrReload and startOrRestart all restart them)',
      teardown: '`pm2 delete all`',
    },
    async prepare(n) {
      project = join(dir, `pm2-${n}`)
      mkdirSync(project, {recursive: true})
      const apps = names(n).map((name) => ({name, script: 'sleep', args: SLEEP_SECONDS, interpreter: 'none', exec_mode: 'fork', autorestart: false, env: {[MARKER]: marker}}))
      writeFileSync(join(project, 'ecosystem.config.cjs'), `module.exports = ${JSON.stringify({apps}, null, 2)}\n`)
      if (!daemonStarted) {
        mkdirSync(home, {recursive: true})
        daemonStarted = true
        await commands.mustRun('pm2 ping', pm2('ping'))
      }
    },
    cold: () => pm2('start', 'ecosystem.config.cjs'),
    noop: () => pm2('start', 'ecosystem.config.cjs'),
    teardown: () => pm2('delete', 'all'),
    async confirm(n) {
      const result = await commands.mustRun('pm2 jlist', pm2('jlist'))
      const apps = JSON.parse(result.stdout.slice(result.stdout.indexOf('[')))
      const online = apps.filter((app) => app.pm2_env?.status === 'online').length
      return {ok: online === n && apps.length === n, detail: `pm2 jlist: ${online}/${n} online`, ms: result.ms}
    },
    async release() {},
    async shutdown() {
      if (!daemonStarted) return
      const pidFile = join(home, 'pm2.pid')
      const godPid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null
      await commands.run(pm2('kill'), {timeoutMs: 30_000}).catch(() => {})
      if (godPid && pidAlive(godPid)) process.kill(godPid, 'SIGKILL')
      daemonStarted = false
    },
  }
}
