import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {compctl, ROOT, tempProject, testEnv} from '../../helpers/cli.js'

const HOOK = pathToFileURL(join(ROOT, 'test/helpers/module-log.mjs')).href
// Ink and React as packages, or as the view's bundle (dist/ink-view.cjs, which load-bundle.ts puts in the require cache).
const INK_OR_REACT = /\/node_modules\/(ink|react|react-reconciler|yoga-layout)\/|\/dist\/ink-view\.cjs$/

const scratch: string[] = []
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-ink-'))
  scratch.push(dir)
  return dir
}

/** The URLs of every module a run loaded, recorded by test/helpers/module-log.mjs. */
function loadedModules(log: string): string[] {
  return readFileSync(log, 'utf8').split('\n').filter(Boolean)
}

describe('Ink loads only on the terminal path of apply', () => {
  it('the module log sees Ink when a process does import it (the check below can fail)', () => {
    const log = join(scratchDir(), 'modules.log')
    const result = spawnSync(process.execPath, ['--import', HOOK, '--input-type=module', '-e', "await import('ink')"], {
      cwd: ROOT,
      env: {...process.env, COMPCTL_MODULE_LOG: log},
      encoding: 'utf8',
    })
    expect(result.stderr).toBe('')
    expect(loadedModules(log).filter((url) => INK_OR_REACT.test(url)).length).toBeGreaterThan(0)
  })

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('the module log sees the view bundle when `compctl apply` runs in a terminal (util-linux script)', () => {
    const cwd = tempProject('dns')
    const log = join(scratchDir(), 'modules.log')
    const command = `stty cols 100 rows 40 && env -u CI '${process.execPath}' --import='${HOOK}' '${join(ROOT, 'bin/run.js')}' apply --auto-approve`
    const result = spawnSync('script', ['-qefc', command, '/dev/null'], {cwd, env: testEnv({COMPCTL_MODULE_LOG: log, TERM: 'xterm-256color'}), encoding: 'utf8'})
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Apply complete!')
    expect(loadedModules(log).filter((url) => INK_OR_REACT.test(url))).toEqual([pathToFileURL(join(ROOT, 'dist/ink-view.cjs')).href])
  })

  // `apply` without a terminal (stdin and stdout are pipes here) prints plain lines: no Ink either.
  for (const args of [['plan'], ['validate'], ['plan', '--json'], ['status'], ['apply', '--auto-approve']]) {
    it(`\`compctl ${args.join(' ')}\` on examples/dns loads neither ink nor react`, () => {
      const cwd = tempProject('dns')
      const log = join(scratchDir(), 'modules.log')
      const result = compctl(args, {cwd, env: {NODE_OPTIONS: `--import=${HOOK}`, COMPCTL_MODULE_LOG: log}})
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const modules = loadedModules(log)
      expect(modules.some((url) => url.endsWith('/dist/main.cjs'))).toBe(true)
      expect(modules.filter((url) => INK_OR_REACT.test(url))).toEqual([])
    })
  }

  it('index.ts reaches Ink only through its import of the view, which draws a run', async () => {
    const outdir = scratchDir()
    await build({
      entryPoints: {index: join(ROOT, 'src/views/ink/index.ts')},
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['ink', 'react', 'react/*'],
      logLevel: 'silent',
    })
    // The entry imports Ink only through a chunk of its own.
    expect(readFileSync(join(outdir, 'index.js'), 'utf8')).not.toMatch(/from "(ink|react)/)
    // The bundle finds ink and react in the repository's node_modules, as dist/ does.
    symlinkSync(join(ROOT, 'node_modules'), join(outdir, 'node_modules'))
    const log = join(scratchDir(), 'modules.log')
    const script = `
      import {createInkView} from ${JSON.stringify(pathToFileURL(join(outdir, 'index.js')).href)}
      const view = await createInkView({stdout: process.stdout, stdin: process.stdin, colour: false})
      const time = new Date().toISOString()
      view.onEvent({type: 'plan', time, planId: 'p', project: 'dns', steps: [{id: 'start.msgq', action: 'start', type: 'component', name: 'msgq', waitsFor: [], lock: null}]})
      view.onEvent({type: 'step_started', time, stepId: 'start.msgq'})
      view.onEvent({type: 'step_done', time, stepId: 'start.msgq', durationMs: 12})
      view.onEvent({type: 'summary', time, ok: true, exitCode: 0, durationMs: 12, counts: {started: 1, stopped: 0, restarted: 0, reloaded: 0, updated: 0, changes: 0, failed: 0, skipped: 0}})
      await view.close()
    `
    const result = spawnSync(process.execPath, ['--import', HOOK, '--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8', env: {...process.env, COMPCTL_MODULE_LOG: log}})
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('✔ start msgq')
    expect(result.stdout).toContain('Apply complete! 1 started in 12ms.')
    expect(loadedModules(log).filter((url) => INK_OR_REACT.test(url)).length).toBeGreaterThan(0)
  })

  it("dist/ink-view.cjs, the view a terminal run loads, holds React's production build", () => {
    const {sources} = JSON.parse(readFileSync(join(ROOT, 'dist/ink-view.cjs.map'), 'utf8')) as {sources: string[]}
    const react = sources.filter((source) => /\/node_modules\/(react|react-reconciler|scheduler)\/cjs\//.test(source))
    expect(react.length).toBeGreaterThan(0)
    expect(react.filter((source) => source.includes('.development.'))).toEqual([])
  })
})
