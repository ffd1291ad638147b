import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, it} from 'vitest'
import {narrowWidth} from '../../../src/views/ink/narrow-width.js'
import {ROOT} from '../../helpers/cli.js'

// Every copy of string-width the Ink view bundles (scripts/build.mjs routes each through narrowWidth).
const COPIES = ['node_modules/ink/node_modules/string-width', 'node_modules/ink/node_modules/wrap-ansi/node_modules/string-width', 'node_modules/cli-truncate/node_modules/string-width']

type StringWidth = (text: string, options?: {ambiguousIsNarrow?: boolean}) => number
const load = async (copy: string): Promise<StringWidth> => ((await import(pathToFileURL(join(ROOT, copy, 'index.js')).href)) as {default: StringWidth}).default
/** The copy's major version, as the build reads it. */
const versionOf = (copy: string): number => Number((JSON.parse(readFileSync(join(ROOT, copy, 'package.json'), 'utf8')) as {version: string}).version.split('.')[0])

describe('narrowWidth', () => {
  for (const copy of COPIES) {
    it(`answers only where ${copy} gives one column a character, for every character of the BMP`, async () => {
      const stringWidth = await load(copy)
      const version = versionOf(copy)
      const answered: string[] = []
      for (let code = 0; code <= 0xffff; code++) {
        const character = String.fromCharCode(code)
        const width = narrowWidth(character, undefined, version)
        if (width === undefined) continue
        answered.push(character)
        if (stringWidth(character) !== 1) throw new Error(`U+${code.toString(16)}: narrowWidth says 1, ${copy} says ${stringWidth(character)}`)
      }
      // The symbols the view draws are among them.
      expect(answered).toEqual(expect.arrayContaining([...'█░─│├└⠋⠼·…—→↷⧗', 'a', ' ']))
      if (version >= 8) expect(answered).toEqual(expect.arrayContaining([...'✔✖']))
    })

    it(`measures coloured text as ${copy} does, and leaves the rest to it`, async () => {
      const stringWidth = await load(copy)
      const version = versionOf(copy)
      for (const text of ['', 'plain', '[\u001b[32m████\u001b[39m░░] 4/6 steps · 1.2s']) expect(narrowWidth(text, undefined, version)).toBe(stringWidth(text))
      const done = '\u001b[32m✔\u001b[39m start \u001b[1mmsgq\u001b[22m'
      expect(narrowWidth(done, undefined, version)).toBe(version >= 8 ? stringWidth(done) : undefined)
      for (const text of ['🟢 start', '漢字', 'e\u0301', '\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007', 'tab\there']) expect(narrowWidth(text, undefined, version)).toBeUndefined()
    })
  }

  it('is what the Ink view bundle measures with: dist/ink-view.cjs holds it beside each copy', () => {
    const {sources} = JSON.parse(readFileSync(join(ROOT, 'dist/ink-view.cjs.map'), 'utf8')) as {sources: string[]}
    expect(sources.filter((source) => source.endsWith('src/views/ink/narrow-width.ts'))).toHaveLength(1)
    // Each copy, and the front the build gives it (named narrow-width:PATH).
    for (const copy of COPIES) expect(sources.filter((source) => source.endsWith(`${copy}/index.js`)).sort()).toEqual([`../${copy}/index.js`, `narrow-width:${copy}/index.js`])
    const bundle = readFileSync(join(ROOT, 'dist/ink-view.cjs'), 'latin1')
    expect(bundle.match(/function \w+\(\w+,\w+\)\{return\(typeof \w+=="string"\?\w+\(\w+,\w+,[78]\):void 0\)\?\?/g) ?? []).toHaveLength(3)
  })

  it('leaves every text to string-width when ambiguous characters are to be wide', () => {
    expect(narrowWidth('█ done', {ambiguousIsNarrow: false}, 8)).toBeUndefined()
    expect(narrowWidth('plain', {countAnsiEscapeCodes: true}, 8)).toBeUndefined()
    // A version it was not checked against.
    expect(narrowWidth('plain', undefined, 9)).toBeUndefined()
  })
})
