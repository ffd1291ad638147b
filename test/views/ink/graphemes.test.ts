import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {graphemeSegmenter, isUnitPerGrapheme} from '../../../src/views/ink/graphemes.js'
import {ROOT, tempProject, testEnv} from '../../helpers/cli.js'

const PRELOAD = join(ROOT, 'test/helpers/segmenter-log.cjs')
const intl = new Intl.Segmenter(undefined, {granularity: 'grapheme'})
const plain = <T extends object>(segments: Iterable<T>): T[] => Array.from(segments, (segment) => ({...segment}))

/** The UTF-16 units graphemeSegmenter answers for itself, not handing them to Intl.Segmenter. */
function singleUnits(): string[] {
  const units: string[] = []
  for (let code = 0; code <= 0xffff; code++) {
    const character = String.fromCharCode(code)
    if (isUnitPerGrapheme(character)) units.push(character)
  }
  return units
}

describe('graphemeSegmenter', () => {
  it('splits text as Intl.Segmenter does wherever it answers itself: every pair of the units it answers for', () => {
    const units = singleUnits()
    // The view's symbols, ESC (colour codes) and printable ASCII; no other control, no combining mark.
    expect(units).toEqual(expect.arrayContaining([...'✔✖█░─│├└⠋⠼·…—→↷⧗ az~', '\u001b']))
    for (const other of ['\n', '\r', '\t', '\u0301', '\u200d', '\ufe0f', '\ud83d']) expect(units).not.toContain(other)
    // Clusters form between neighbours (UAX #29), so every pair settles it.
    for (const left of units) {
      for (const right of units) {
        if ([...intl.segment(left + right)].length !== 2) throw new Error(`U+${left.charCodeAt(0).toString(16)} U+${right.charCodeAt(0).toString(16)}: one cluster for Intl.Segmenter`)
      }
    }
  })

  it('gives the same segments as Intl.Segmenter, iterated or by index, for the text it answers and for the text it hands on', () => {
    const texts = ['', 'plain', '\u001b[32m✔\u001b[39m start \u001b[1mmsgq\u001b[22m · 1.2s', '[████░░] 4/6 steps', '🟢 start', 'e\u0301x', 'a\r\nb', '👩‍💻 漢字', '✔\ufe0f']
    for (const text of texts) {
      const segments = graphemeSegmenter().segment(text)
      expect(plain(segments)).toEqual(plain(intl.segment(text)))
      for (const index of [-1, 0, 1, 2, text.length - 1, text.length, 1.5, Number.NaN]) expect(segments.containing(index)).toEqual(intl.segment(text).containing(index))
    }
  })

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('lets `compctl apply` in a terminal (util-linux script) draw its view without an Intl.Segmenter', () => {
    const cwd = tempProject('dns')
    const log = join(cwd, 'segmenters.log')
    const env = testEnv({COMPCTL_SEGMENTER_LOG: log, TERM: 'xterm-256color'})
    delete env.NO_COLOR
    const run = (node: string) => spawnSync('script', ['-qefc', `stty cols 100 rows 40 && env -u CI '${process.execPath}' ${node}`, '/dev/null'], {cwd, env, encoding: 'utf8'})
    // The log sees a segmenter when one is made.
    expect(run(`--require='${PRELOAD}' -e 'new Intl.Segmenter()'`).status).toBe(0)
    expect(readFileSync(log, 'utf8')).toBe('grapheme\n')
    const result = run(`--require='${PRELOAD}' '${join(ROOT, 'bin/run.js')}' apply --auto-approve`)
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Apply complete!')
    expect(result.stdout).toContain('\u001b[32m')
    expect(readFileSync(log, 'utf8')).toBe('grapheme\n')
  })
})
