// What the etcd state backend costs: `plan` and a no-op `apply` of 100 components with the state
// in etcd (on loopback) against the state in a file, measured interleaved in one run.
//
//   node bench/state.mjs [--runs 15] [--components 100]
//
// Each folder is applied once first (not timed), so every timed apply has nothing to do. On a
// shared machine the whole-command figures carry the noise of two Node start-ups each, so the
// bench also times, in fresh processes running the real state backends (bundled from src/ as the
// CLI is, the etcd backend in its own lazily loaded chunk), just what each command does with the
// state: `plan` opens the backend and reads; a no-op `apply` also takes and releases the lock.
// The bench starts its own etcd (temporary data folder), destroys what it applied, and kills every
// process group it started before it exits. Goal: etcd adds ≤ 30 ms.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'
import {build} from 'esbuild'
import {startEtcd} from './etcd.mjs'

const ROOT = resolve(import.meta.dirname, '..')
const BIN = join(ROOT, 'bin/run.js')
const {values: options} = parseArgs({options: {runs: {type: 'string', default: '15'}, components: {type: 'string', default: '100'}}})
const RUNS = Number(options.runs)
const COMPONENTS = Number(options.components)

const groups = new Set()
process.on('exit', () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {}
  }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A file of COMPONENTS plain `sleep` processes, its state in `state`. */
function desiredFile(state) {
  const lines = ['version: 1', 'project: bench-state', 'settings:', '  parallelism: 16', '  instance: bench', `  state: ${JSON.stringify(state)}`, 'components:']
  for (let i = 0; i < COMPONENTS; i++) lines.push(`  c${i}:`, `    command: ["sleep", "${10_000 + i}"]`)
  return lines.join('\n') + '\n'
}

function run(cwd, args) {
  const began = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [BIN, ...args], {cwd, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const ms = Number(process.hrtime.bigint() - began) / 1e6
  if (result.status !== 0) throw new Error(`compctl ${args.join(' ')} in ${cwd} exited ${result.status}: ${result.stderr}`)
  return {ms, stdout: result.stdout}
}

/** What plan and a no-op apply do with the state, in one fresh process; prints the ms it took. */
const PROBE = `
import {openStateBackend} from './src/state/open.ts'
const [what, configText] = process.argv.slice(2)
const began = performance.now()
const backend = await openStateBackend(JSON.parse(configText))
const lock = what === 'apply' ? await backend.acquireLock({operation: 'apply', timeoutMs: 0}) : null
await backend.store.read()
await lock?.release()
await backend.close()
process.stdout.write(String(performance.now() - began))
`

async function buildProbe(dir) {
  await build({
    stdin: {contents: PROBE, resolveDir: ROOT, sourcefile: 'probe.ts', loader: 'ts'},
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  })
  return join(dir, 'stdin.js')
}

function probe(script, what, config) {
  const result = spawnSync(process.execPath, [script, what, JSON.stringify(config)], {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`probe ${what} failed: ${result.stderr}`)
  return Number(result.stdout)
}

const work = mkdtempSync(join(tmpdir(), 'compctl-bench-state-'))
const folders = {}
try {
  const {endpoint, child: etcd} = await startEtcd(join(work, 'etcd'))
  groups.add(etcd.pid)
  folders.file = join(work, 'file')
  folders.etcd = join(work, 'etcd-backend')
  for (const [name, state] of [['file', {backend: 'file'}], ['etcd', {backend: 'etcd', etcd: {endpoints: [endpoint], prefix: '/bench'}}]]) {
    spawnSync('mkdir', ['-p', folders[name]])
    writeFileSync(join(folders[name], 'compctl.yaml'), desiredFile(state))
    run(folders[name], ['apply', '--auto-approve'])
  }
  console.log(`State backend bench: ${COMPONENTS} components, ${RUNS} interleaved runs each; etcd ${endpoint}; node ${process.version}\n`)
  const times = {'plan file': [], 'plan etcd': [], 'no-op apply file': [], 'no-op apply etcd': []}
  for (let i = 0; i < RUNS; i++) {
    for (const backend of ['file', 'etcd']) {
      const plan = run(folders[backend], ['plan'])
      if (!plan.stdout.includes('No changes')) throw new Error(`plan on the ${backend} backend is not empty:\n${plan.stdout}`)
      times[`plan ${backend}`].push(plan.ms)
      times[`no-op apply ${backend}`].push(run(folders[backend], ['apply', '--auto-approve']).ms)
    }
  }
  console.log('| | file | etcd | etcd − file |')
  console.log('|---|---|---|---|')
  for (const what of ['plan', 'no-op apply']) {
    const file = median(times[`${what} file`])
    const etcd = median(times[`${what} etcd`])
    console.log(`| \`${what}\`, ${COMPONENTS} components | ${file.toFixed(0)} ms | ${etcd.toFixed(0)} ms | ${(etcd - file).toFixed(0)} ms (goal ≤ 30 ms) |`)
  }

  const script = await buildProbe(join(work, 'probe'))
  const configs = {}
  for (const [name, state] of [['file', {backend: 'file'}], ['etcd', {backend: 'etcd', etcd: {endpoints: [endpoint], prefix: '/bench'}}]])
    configs[name] = {file: join(folders[name], 'compctl.yaml'), baseDir: folders[name], project: 'bench-state', stateDir: join(folders[name], 'state'), spec: {version: 1, settings: {instance: 'bench', state}}, warnings: []}
  const probes = {'plan file': [], 'plan etcd': [], 'apply file': [], 'apply etcd': []}
  for (let i = 0; i < RUNS * 2; i++)
    for (const what of ['plan', 'apply']) for (const backend of ['file', 'etcd']) probes[`${what} ${backend}`].push(probe(script, what, configs[backend]))
  console.log(`\nThe state's part alone, in a fresh process (${RUNS * 2} interleaved runs each):\n`)
  console.log('| | file | etcd | etcd − file |')
  console.log('|---|---|---|---|')
  for (const [what, label] of [['plan', 'plan: open, read'], ['apply', 'no-op apply: open, lock, read, unlock']]) {
    const file = median(probes[`${what} file`])
    const etcd = median(probes[`${what} etcd`])
    console.log(`| ${label} | ${file.toFixed(1)} ms | ${etcd.toFixed(1)} ms | ${(etcd - file).toFixed(1)} ms (goal ≤ 30 ms) |`)
  }
} finally {
  for (const folder of Object.values(folders)) spawnSync(process.execPath, [BIN, 'destroy', '--auto-approve'], {cwd: folder, stdio: 'ignore'})
  rmSync(work, {recursive: true, force: true})
}
