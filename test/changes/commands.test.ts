import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {trackGroup} from '../helpers/cli.js'
import {changeFolder, sh, targets} from './setup.js'

/** Pids of live processes in process group `pgid`, from /proc. */
function membersOf(pgid: number): number[] {
  const members: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry))
    } catch {}
  }
  return members
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return condition()
}

describe('commands', () => {
  it('a timeout kills the whole process group of the command and fails it', async () => {
    const folder = changeFolder()
    const {result, elapsedMs} = await folder.run({
      targets: targets('a'),
      apply: {run: [sh('echo $$ > pgid; sleep 30 & sleep 30')], timeout: '500ms'},
    })
    const pgid = Number(folder.lines('pgid')[0])
    trackGroup(pgid)
    expect(elapsedMs).toBeLessThan(5000)
    expect(result.targets.a?.outcome).toBe('failed')
    expect(result.error).toContain('timed out after 500ms')
    expect(await waitFor(() => membersOf(pgid).length === 0, 5000)).toBe(true)
  })

  it('a var value is passed as data: no injection through argv or a shell string', async () => {
    const folder = changeFolder()
    const pwned = join(folder.dir, 'pwned')
    const values = [`x; touch ${pwned}`, `$(touch ${pwned})`, `\`touch ${pwned}\``, `x' && touch '${pwned}`]
    for (const value of values) {
      const {result} = await folder.run({
        targets: [{name: 'a', vars: {v: value}}],
        apply: {
          run: [
            ['echo', '${v}'],
            ['sh', '-c', 'echo "$v" >> received; echo $v', 'sh'],
            'echo "$v"; echo $v ${v}',
          ],
        },
        verify: {run: [['printf', '%s', '${v}']], expect: {stdout: value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}},
      })
      expect(result.status).toBe('success')
    }
    expect(folder.exists('pwned')).toBe(false)
    expect(folder.lines('received')).toEqual(values)
  })

  it("replaces ${var} in argv from the target's vars, then the change's; both reach every command's environment", async () => {
    const folder = changeFolder()
    const {result} = await folder.run({
      vars: {who: 'change', other: 'from-change'},
      targets: [{name: 'a', vars: {who: 'target'}}],
      apply: {
        run: [
          ['sh', '-c', 'echo "$1" >> argv', 'sh', '${who} ${other}'],
          ['sh', '-c', 'echo "$who $other" >> env-argv'],
          'echo "$who $other" >> env-string',
        ],
      },
    })
    expect(result.status).toBe('success')
    expect(folder.lines('argv')).toEqual(['target from-change'])
    expect(folder.lines('env-argv')).toEqual(['target from-change'])
    expect(folder.lines('env-string')).toEqual(['target from-change'])
  })

  it('expect: stdout must match the regular expression, and the exit code may be a list', async () => {
    const folder = changeFolder()
    const ok = await folder.run({
      targets: targets('a'),
      apply: {run: [sh('echo "uid=1000(justin)"; exit 2')], expect: {exitCode: [0, 2], stdout: '^uid=\\d+'}},
    })
    expect(ok.result.status).toBe('success')
    const bad = await folder.run({targets: targets('a'), apply: {run: [sh('echo "id: no such user"')], expect: {stdout: '^uid='}}})
    expect(bad.result.targets.a?.outcome).toBe('failed')
    expect(bad.result.error).toContain('stdout does not match /^uid=/')
  })

  it('stops the phase at the first command that fails', async () => {
    const folder = changeFolder()
    await folder.run({targets: targets('a'), apply: {run: [sh('echo one >> events'), ['false'], sh('echo three >> events')]}})
    expect(folder.lines('events')).toEqual(['one'])
  })

  it('runs commands in the base folder, logs each target and returns the tail of the failing command', async () => {
    const folder = changeFolder()
    const lines: string[] = []
    const {result} = await folder.run(
      {targets: targets('a'), apply: {run: [sh('pwd > cwd; for i in $(seq 1 20); do echo "line $i"; done; exit 1')]}},
      {onOutput: ({target, line}) => lines.push(`${target}:${line}`)},
    )
    expect(folder.lines('cwd')).toEqual([folder.dir])
    expect(result.tail).toEqual(Array.from({length: 10}, (_, i) => `line ${i + 11}`))
    expect(lines).toHaveLength(20)
    expect(lines[0]).toBe('a:line 1')
    const log = readFileSync(join(folder.dir, 'state/logs/changes/demo/a.log'), 'utf8')
    expect(log).toMatch(/=== \S+ apply \(attempt 1\) ===/)
    expect(log).toContain('line 20')
    expect(log).toContain('apply failed: exited 1 (expected 0)')
  })

  it('appends to the log across runs', async () => {
    const folder = changeFolder()
    for (const word of ['first', 'second']) await folder.run({targets: targets('a'), apply: {run: [['echo', word]]}})
    const log = readFileSync(join(folder.dir, 'state/logs/changes/demo/a.log'), 'utf8')
    expect(log.indexOf('first')).toBeGreaterThanOrEqual(0)
    expect(log.indexOf('second')).toBeGreaterThan(log.indexOf('first'))
  })

  it('a program that does not exist fails the phase with the reason', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a'), apply: {run: [['/nonexistent/program']]}})
    expect(result.targets.a?.outcome).toBe('failed')
    expect(result.error).toContain('could not run')
  })
})

describe('abort signal', () => {
  it('kills the running command, starts nothing else and reports the run as interrupted', async () => {
    const folder = changeFolder()
    const controller = new AbortController()
    const run = folder.run(
      {
        targets: targets('a', 'b', 'c'),
        onFailure: 'continue',
        retries: 2,
        apply: {run: [sh('echo "apply $t" >> events; echo $$ >> pgids; sleep 30')]},
        backout: [{run: [sh('echo "backout $t" >> events')]}],
      },
      {signal: controller.signal},
    )
    expect(await waitFor(() => folder.lines('events').length > 0, 5000)).toBe(true)
    const aborted = performance.now()
    controller.abort()
    const {result} = await run
    for (const pgid of folder.lines('pgids').map(Number)) trackGroup(pgid)
    expect(performance.now() - aborted).toBeLessThan(5000)
    expect(folder.lines('events')).toEqual(['apply a'])
    expect(result).toMatchObject({status: 'failed', interrupted: true})
    expect(result.targets.a).toMatchObject({outcome: 'failed', attempts: 1})
    expect(result.targets.a?.error).toContain('interrupted')
    expect(Object.keys(result.targets)).toEqual(['a'])
    expect(result.error).toContain('not run (interrupted): b, c')
  })

  it('an already aborted signal runs nothing', async () => {
    const folder = changeFolder()
    const {result} = await folder.run({targets: targets('a'), apply: {run: [sh('echo ran >> events')]}}, {signal: AbortSignal.abort()})
    expect(folder.exists('events')).toBe(false)
    expect(result).toMatchObject({status: 'failed', interrupted: true, targets: {}})
  })
})
