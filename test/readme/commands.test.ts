import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, it} from 'vitest'
import {ROOT} from '../helpers/cli.js'

interface ReadmeScript {
  commandsSection(root?: string): Promise<string>
  withSection(readme: string, section: string): string
}

const script = (): Promise<ReadmeScript> => import(pathToFileURL(join(ROOT, 'scripts/readme-commands.mjs')).href) as Promise<ReadmeScript>

describe("README's command section, generated from oclif's help", () => {
  it('is up to date with the commands (run `npm run build && npm run readme` after changing one)', () => {
    let failure = ''
    try {
      execFileSync(process.execPath, ['scripts/readme-commands.mjs', '--check'], {cwd: ROOT, encoding: 'utf8', stdio: 'pipe'})
    } catch (error) {
      failure = String((error as {stderr?: string}).stderr)
    }
    expect(failure).toBe('')
  })

  it("holds every visible command's --help, flags included, and the staleness check notices an edit", async () => {
    const {commandsSection, withSection} = await script()
    const section = await commandsSection(ROOT)
    for (const id of ['plan', 'graph', 'startup systemd', 'autocomplete']) expect(section).toContain(`| \`compctl ${id}\` |`)
    expect(section).toContain('--[no-]summary')
    expect(section).not.toContain('| `compctl autocomplete script` |')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(withSection(readme, section)).toBe(readme)
    expect(withSection(readme, section.replace('--[no-]summary', '--summary'))).not.toBe(readme)
  })
})
