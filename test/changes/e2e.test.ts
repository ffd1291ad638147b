import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {compctl, tempProject} from '../helpers/cli.js'

/** A project whose change `seed` runs after component `server` is ready (it needs the file `up`). */
function projectFile(changeApply: string): string {
  return `version: 1
project: e2e-changes
settings: { stateDir: state }
components:
  server:
    command: ["sh", "-c", "sleep 1; echo up > up; exec sleep 60"]
    ready: { command: ["test", "-f", "up"], timeout: 10s }
changes:
  seed:
    dependsOn: [server]
    targets: [{ name: one, vars: { who: one } }, { name: two, vars: { who: two } }]
    check: { run: [["test", "-f", "up"]] }
    apply: { run: [${changeApply}] }
`
}

const recordingApply = `["sh", "-c", "echo \\"$who\\" >> seeded"]`

function plannedSteps(dir: string): string[] {
  const result = compctl(['plan', '--json'], {cwd: dir})
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as {steps: Array<{id: string}>}).steps.map((s) => s.id)
}

function applyAll(dir: string) {
  return compctl(['apply', '--auto-approve'], {cwd: dir})
}

describe('changes through compctl apply', () => {
  it('runs a change after the component it depends on is ready, and records each target', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), projectFile(recordingApply))
    const result = applyAll(dir)
    expect(result.code, result.stderr + result.stdout).toBe(0)
    expect(readFileSync(join(dir, 'seeded'), 'utf8').split('\n').filter(Boolean)).toEqual(['one', 'two'])
    const state = JSON.parse(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8'))
    expect(state.changes.seed.status).toBe('success')
    expect(state.changes.seed.targets.one.outcome).toBe('success')
    expect(state.changes.seed.targets.two.outcome).toBe('success')
    expect(existsSync(join(dir, 'state/logs/changes/seed/one.log'))).toBe(true)
  })

  it('does not plan an applied change again until it is edited', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), projectFile(recordingApply))
    expect(applyAll(dir).code).toBe(0)
    expect(plannedSteps(dir)).not.toContain('change.seed')
    writeFileSync(join(dir, 'compctl.yaml'), projectFile(`["sh", "-c", "echo \\"edited $who\\" >> seeded"]`))
    expect(plannedSteps(dir)).toContain('change.seed')
  })

  it('plans a failed change again', () => {
    const dir = tempProject()
    writeFileSync(join(dir, 'compctl.yaml'), projectFile(`["sh", "-c", "[ \\"$who\\" = one ]"]`))
    const result = applyAll(dir)
    expect(result.code).toBe(1)
    const state = JSON.parse(readFileSync(join(dir, 'state/compctl.state.json'), 'utf8'))
    expect(state.changes.seed.status).toBe('failed')
    expect(state.changes.seed.targets.one.outcome).toBe('success')
    expect(state.changes.seed.targets.two.outcome).toBe('failed')
    expect(plannedSteps(dir)).toContain('change.seed')
  })
})
