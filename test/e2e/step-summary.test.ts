import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {MARKDOWN_LIMIT} from '../../src/views/plan-markdown.js'
import {compctl, tempProject} from '../helpers/cli.js'

describe('plan in GitHub Actions: GITHUB_STEP_SUMMARY', () => {
  it('appends the markdown plan to the summary file, after what was there, and still prints the text plan', () => {
    const dir = tempProject('dns')
    const summary = join(dir, 'step-summary.md')
    writeFileSync(summary, '# An earlier step\n')
    const result = compctl(['plan'], {cwd: dir, env: {GITHUB_STEP_SUMMARY: summary}})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/\+ start msgq/)
    const markdown = compctl(['plan', '--format', 'markdown'], {cwd: dir}).stdout
    expect(markdown).toContain('| start `msgq`')
    expect(readFileSync(summary, 'utf8')).toBe(`# An earlier step\n${markdown}\n`)
  })

  it('--no-summary leaves the summary file alone', () => {
    const dir = tempProject('dns')
    const summary = join(dir, 'step-summary.md')
    writeFileSync(summary, '')
    expect(compctl(['plan', '--no-summary'], {cwd: dir, env: {GITHUB_STEP_SUMMARY: summary}}).code).toBe(0)
    expect(readFileSync(summary, 'utf8')).toBe('')
  })

  it('a huge plan is capped in the summary as in --format markdown', () => {
    const dir = tempProject()
    const components = Array.from({length: 3000}, (_, i) => `  c${i}: { command: [sleep, "1000"], dependsOn: [${i > 0 ? `c${i - 1}` : ''}] }`).join('\n')
    writeFileSync(join(dir, 'compctl.yaml'), `version: 1\ncomponents:\n${components}\n`)
    const summary = join(dir, 'step-summary.md')
    writeFileSync(summary, '')
    expect(compctl(['plan'], {cwd: dir, env: {GITHUB_STEP_SUMMARY: summary}}).code).toBe(0)
    const written = readFileSync(summary, 'utf8')
    expect(written.length).toBeLessThanOrEqual(MARKDOWN_LIMIT + 1)
    expect(written).toMatch(/left out/i)
  })

  it('a summary file that cannot be written is a warning, not a failed plan', () => {
    const dir = tempProject('dns')
    const result = compctl(['plan'], {cwd: dir, env: {GITHUB_STEP_SUMMARY: join(dir, 'no-such-folder', 'summary.md')}})
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('warning: GITHUB_STEP_SUMMARY')
    expect(result.stderr).toContain('ENOENT')
  })
})
