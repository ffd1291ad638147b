import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, it} from 'vitest'
import {bundleForChild} from '../helpers/bundle.js'
import {BIN, ROOT, tempProject, testEnv} from '../helpers/cli.js'
import {describeAsRoot} from './helpers.js'

/*
 * Item 1: a state naming pid 1 or pid 0 must never reach kill(2). Every run here happens inside
 * `unshare --pid --fork --mount-proc`, where `sh` is pid 1 and a `sleep` stands for "every other
 * process": a missing refusal kills the namespace's processes, not the machine's.
 */

/** Runs `script` as pid 1 of a fresh pid namespace; returns its output. */
function inPidNamespace(script: string, cwd: string): {stdout: string; stderr: string; code: number | null} {
  const result = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script], {cwd, env: testEnv(), encoding: 'utf8', timeout: 60_000})
  return {stdout: result.stdout, stderr: result.stderr, code: result.status}
}

function stateWithPid(dir: string, pid: string): void {
  mkdirSync(join(dir, 'state'), {recursive: true})
  writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\ncomponents:\n  victim:\n    command: [sleep, "300"]\n')
  const component = {spec: {command: ['sleep', '300']}, specHash: 'sha256:0', status: 'running', pid: '__PID__', startTime: '__START__', restarts: 0, lastError: null}
  const state = {version: 1, lineage: 'forged', serial: 1, project: 'p', components: {victim: component}, changes: {}, appliedPlans: []}
  writeFileSync(join(dir, 'state/compctl.state.json'), JSON.stringify(state).replace('"__PID__"', pid).replace('"__START__"', '__START__'))
}

/** pid 1 (this shell) with its real start time, a bystander sleep, then compctl; says whether the bystander survived. */
const DESTROY_IN_NAMESPACE = `
sleep 300 & bystander=$!
start=$(cut -d' ' -f22 /proc/1/stat)
sed -i "s/__START__/$start/" state/compctl.state.json
${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} destroy --auto-approve
echo "exit=$?"
kill -0 $bystander && echo bystander-alive
kill $bystander
`

describeAsRoot('safety: pid 1 and pid 0 in the state (item 1)', () => {
  it.each([
    ['pid 1', '1'],
    ['pid 0', '0'],
  ])('a state naming %s is a corrupt state, reported with its backup path; nothing is signalled', (_, pid) => {
    const dir = tempProject()
    stateWithPid(dir, pid)
    const result = inPidNamespace(DESTROY_IN_NAMESPACE, dir)
    expect(result.stdout, result.stderr).toContain('exit=1')
    expect(result.stdout).toContain('bystander-alive')
    expect(result.stdout + result.stderr).toContain(`${join(dir, 'state/compctl.state.json')}: the state file is corrupt: /components/victim/pid must be >= 2`)
    expect(result.stdout + result.stderr).toContain(join(dir, 'state/compctl.state.json.backup'))
  })

  processLayerRefuses()
})

/** The second line of defence: the process layer itself refuses, whatever it is asked. */
function processLayerRefuses(): void {
  let dir: string
  let script: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'compctl-refuse-'))
    script = join(dir, 'refuse-pids.mjs')
    await bundleForChild(script, {entry: join(ROOT, 'test/safety/fixtures/refuse-pids.ts')})
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('stopProcess and signalProcess refuse pid 0, pid 1, compctl itself and its own process group', () => {
    // setsid makes a shell the leader of a new group, so the node process's own group is not its pid.
    const result = inPidNamespace(
      `sleep 300 & bystander=$!
setsid sh -c '${process.execPath} ${script}; echo "exit=$?"'
kill -0 $bystander && echo bystander-alive
kill $bystander`,
      dir,
    )
    expect(result.stdout, result.stderr).toContain('exit=0')
    expect(result.stdout).toContain('bystander-alive')
    const answers = JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('{'))!) as Record<string, {stop: string; detail: string; signal: string} | number>
    expect(answers.ownGroup).not.toBe(answers.selfPid)
    for (const what of ['zero', 'init', 'self', 'ownGroup'])
      expect(answers[what], what).toMatchObject({stop: 'not-ours', signal: 'not-ours', detail: expect.stringContaining('not signalled')})
  })
}
