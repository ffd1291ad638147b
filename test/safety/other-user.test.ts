import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'
import {readProcessGroups, readRealUid, readStartTime} from '../../src/process/observe.js'
import {stopProcess} from '../../src/process/stop.js'
import {compctl, tempProject, trackGroup} from '../helpers/cli.js'
import {readState, waitFor} from '../helpers/state.js'
import {describeAsRoot, useTestUser, type TestUser} from './helpers.js'

/*
 * Item 2: compctl (root) signals, stops or adopts only its own user's processes. The launch id is
 * in the state, which others could read before item 4: another user can start a process carrying it.
 */

/** A `sleep` of `user` in its own process group, carrying COMPCTL_LAUNCH_ID=launchId. */
async function foreignSleep(user: TestUser, launchId: string): Promise<{pid: number; startTime: number}> {
  const [command, ...args] = user.argv(['sleep', '300'])
  const child = spawn(command!, args, {detached: true, stdio: 'ignore', env: {...process.env, COMPCTL_LAUNCH_ID: launchId}})
  trackGroup(child.pid!)
  // setpriv execs sleep in place: same pid, once it runs as the user.
  await waitFor(() => readRealUid(child.pid!) === user.uid, 10_000, 'the sleep to run as the test user')
  return {pid: child.pid!, startTime: readStartTime(child.pid!)!}
}

/**
 * A group led by a shell of compctl's user, with a `sleep` of its own and one of `user` in it
 * (setpriv keeps the group): what a component that started something as another user looks like.
 */
async function groupWithForeignMember(user: TestUser): Promise<{leader: {pid: number; startTime: number}; foreign: {pid: number; startTime: number}}> {
  const child = spawn('sh', ['-c', `${user.argv(['sleep', '300']).join(' ')} & sleep 300 & wait`], {detached: true, stdio: 'ignore'})
  const pid = child.pid!
  trackGroup(pid)
  let foreign: number | undefined
  await waitFor(
    () => {
      const members = readProcessGroups().get(pid) ?? []
      foreign = members.find((member) => readRealUid(member.pid) === user.uid && !member.zombie)?.pid
      return foreign !== undefined && members.length === 3
    },
    10_000,
    "the group's sleeps, one running as the test user",
  )
  return {leader: {pid, startTime: readStartTime(pid)!}, foreign: {pid: foreign!, startTime: readStartTime(foreign!)!}}
}

function writeState(dir: string, component: Record<string, unknown>): void {
  mkdirSync(join(dir, 'state'), {recursive: true})
  writeFileSync(join(dir, 'compctl.yaml'), 'version: 1\ncomponents:\n  web:\n    command: [sleep, "300"]\n')
  const state = {
    version: 1,
    lineage: randomUUID(),
    serial: 1,
    project: 'p',
    components: {web: {spec: {command: ['sleep', '300']}, specHash: 'sha256:0', restarts: 0, lastError: null, ...component}},
    changes: {},
    appliedPlans: [],
  }
  writeFileSync(join(dir, 'state/compctl.state.json'), JSON.stringify(state))
}

describeAsRoot('safety: processes of another user (item 2)', () => {
  const user = useTestUser()

  it('a process of another user carrying the launch id is not adopted, and survives destroy', async () => {
    const dir = tempProject()
    const launchId = randomUUID()
    const victim = await foreignSleep(user(), launchId)
    writeState(dir, {status: 'starting', pid: null, startTime: null, pending: {action: 'start', stepId: 'start.web', since: new Date().toISOString(), launchId}})
    const result = compctl(['destroy', '--auto-approve'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(readStartTime(victim.pid)).toBe(victim.startTime)
    expect(readState(dir).components.web?.pid ?? null).not.toBe(victim.pid)
  })

  it("stops that share a scan of /proc signal their groups' own members only, never another user's in them", async () => {
    const groups = await Promise.all([groupWithForeignMember(user()), groupWithForeignMember(user()), groupWithForeignMember(user())])
    // Stopped at once, the stops share their scans of /proc (src/process/stop.ts).
    const results = await Promise.all(groups.map(({leader}) => stopProcess(leader, {timeoutMs: 300})))
    for (const [i, {leader, foreign}] of groups.entries()) {
      // What is left is the other user's sleep, which compctl waits for and names, but never signals.
      expect(results[i]!.detail).toContain(`pids ${foreign.pid}`)
      expect(readStartTime(leader.pid)).toBeNull()
      expect(readStartTime(foreign.pid)).toBe(foreign.startTime)
      expect((readProcessGroups().get(leader.pid) ?? []).filter((member) => !member.zombie).map((member) => member.pid)).toEqual([foreign.pid])
    }
  }, 20_000)

  it("a recorded pid that is another user's process (same start time) is never signalled", async () => {
    const dir = tempProject()
    const victim = await foreignSleep(user(), randomUUID())
    writeState(dir, {status: 'running', pid: victim.pid, startTime: victim.startTime})
    const result = compctl(['destroy', '--auto-approve'], {cwd: dir})
    expect(result.code, result.stdout + result.stderr).toBe(0)
    // Given time to die, were it signalled.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(readStartTime(victim.pid)).toBe(victim.startTime)
  })
})
