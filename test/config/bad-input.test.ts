import {copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import validateState from '../../src/model/generated/validate-state.js'
import {compctlAsync, tempProject, type CliResult} from '../helpers/cli.js'

/**
 * Every broken desired-state file in bad-input/ (and a few generated at test time: too big or too
 * deep to commit) through `compctl validate` and `compctl plan`: exit 1, one
 * `FILE:LINE:COL: path: message` line per problem, the expected problems at the expected places
 * (bad-input/expected.json), no stack trace, and the state file untouched.
 */

const CORPUS = join(import.meta.dirname, 'bad-input')
const EXPECTATIONS = 'expected.json'

interface Expected {
  line: number
  col: number
  /** The problem's path as printed; `(file)` for the whole file. */
  path: string
  /** A part of the message that says what is wrong. */
  includes: string
}

const expected = JSON.parse(readFileSync(join(CORPUS, EXPECTATIONS), 'utf8')) as Record<string, Expected[]>

const FIFTY_MB = 50 * 1024 * 1024

/** Files too big or too deep to commit: written into the test's project folder. */
const GENERATED: Record<string, () => string | Buffer> = {
  // Well-formed YAML past the size limit: refused before it is parsed.
  'huge-50mb.yaml': () => {
    const component = (i: number) => `  c${String(i).padStart(7, '0')}:\n    command: [/usr/bin/env, sleep, "1000"]\n`
    const chunk = Array.from({length: 1000}, (_, i) => component(i)).join('')
    return Buffer.from('version: 1\ncomponents:\n' + chunk.repeat(Math.ceil(FIFTY_MB / chunk.length)))
  },
  // 10,000 nested lists in a JSON value: the parser stops at its depth limit.
  'deep-nesting.json': () => `{\n  "version": 1,\n  "components": {\n    "web": {"command": ["./web"], "env": ${'['.repeat(10_000)}${']'.repeat(10_000)}}\n  }\n}\n`,
  // The same in YAML flow style: deeper than yaml's parser can recurse.
  'deep-nesting-flow.yaml': () => `version: 1\ncomponents:\n  web:\n    command: [./web]\n    env: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
  // 300 levels of block mappings: parsed, then refused past the depth limit.
  'deep-nesting-block.yaml': () => {
    let text = 'version: 1\nx-deep:\n'
    for (let level = 1; level <= 300; level++) text += `${' '.repeat(2 * level)}k:\n`
    return text
  },
}

/** A valid state (schemas/state.schema.json) with one running component, as `apply` would leave it. */
const STATE = {
  version: 1,
  lineage: '6f1c1f8e-3d7a-4c55-9d8e-2b0b7f3a9c11',
  serial: 7,
  project: 'bad-input',
  components: {
    web: {
      spec: {command: ['./web']},
      specHash: 'sha256:0123456789abcdef0123456789abcdef',
      status: 'running',
      pid: 999_999,
      startTime: 123_456,
      startedAt: '2024-01-02T03:04:05.000Z',
      restarts: 0,
      lastError: null,
    },
  },
  changes: {},
  appliedPlans: [],
}

const corpusFiles = readdirSync(CORPUS)
  .filter((name) => name !== EXPECTATIONS)
  .sort()

/** A project folder holding the file (as `name`) and a state folder with a state file dated in the past. */
function projectWith(name: string): {dir: string; stateFile: string} {
  const dir = tempProject()
  const generate = GENERATED[name]
  if (generate) writeFileSync(join(dir, name), generate())
  else copyFileSync(join(CORPUS, name), join(dir, name))
  mkdirSync(join(dir, 'state'))
  const stateFile = join(dir, 'state/compctl.state.json')
  writeFileSync(stateFile, JSON.stringify(STATE, null, 2) + '\n')
  const past = new Date('2024-01-02T03:04:05Z')
  utimesSync(stateFile, past, past)
  return {dir, stateFile}
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The problems of one run, checked for form: every stderr line is a problem (or validate's count line). */
function problemsOf(result: CliResult, file: string, command: string): Array<{line: number; col: number; path: string; message: string}> {
  const problemLine = new RegExp(`^${escape(file)}:(\\d+):(\\d+): (.+?): (.+)$`)
  const lines = result.stderr.split('\n').filter((l) => l !== '')
  const problems = []
  for (const text of lines) {
    const match = problemLine.exec(text)
    if (match) {
      problems.push({line: Number(match[1]), col: Number(match[2]), path: match[3]!, message: match[4]!})
      continue
    }
    expect(command === 'validate' && /^\d+ problems? in /.test(text), `${command}: not a problem line: ${text}`).toBe(true)
  }
  if (command === 'validate') expect(lines.at(-1)).toBe(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}.`)
  return problems
}

describe('bad input: validate and plan report every problem at its place, exit 1, and leave the state alone', () => {
  it('the state the projects start from is valid', () => {
    expect(validateState(STATE), JSON.stringify(validateState.errors)).toBe(true)
  })

  it('every corpus file has expectations, every expectation a file', () => {
    expect([...corpusFiles, ...Object.keys(GENERATED)].sort()).toEqual(Object.keys(expected).sort())
    expect(corpusFiles.length + Object.keys(GENERATED).length).toBeGreaterThanOrEqual(30)
  })

  it.each([...corpusFiles, ...Object.keys(GENERATED)])('%s', async (name) => {
    const {dir, stateFile} = projectWith(name)
    if (name in GENERATED && name.startsWith('huge')) expect(statSync(join(dir, name)).size).toBeGreaterThanOrEqual(FIFTY_MB)
    const stateBefore = readFileSync(stateFile)
    const mtimeBefore = statSync(stateFile).mtimeMs

    const [validate, plan] = await Promise.all([
      compctlAsync(['validate', '-f', name], {cwd: dir}).done,
      compctlAsync(['plan', '-f', name], {cwd: dir}).done,
    ])

    for (const [command, result] of [['validate', validate], ['plan', plan]] as const) {
      const output = `${command} -f ${name}:\n${result.stderr}`
      expect(result.code, output).toBe(1)
      expect(result.stdout, output).toBe('')
      expect(result.stderr, output).not.toMatch(/^\s+at /m)
      expect(result.stderr, output).not.toMatch(/internal error/)
      const problems = problemsOf(result, name, command)
      const wanted = expected[name]!
      expect(problems.length, output).toBe(wanted.length)
      for (const want of wanted) {
        const found = problems.find((p) => p.line === want.line && p.col === want.col && p.path === want.path && p.message.includes(want.includes))
        expect(found, `${output}\nexpected ${want.line}:${want.col}: ${want.path}: …${want.includes}…`).toBeDefined()
      }
    }

    expect(readFileSync(stateFile).equals(stateBefore)).toBe(true)
    expect(statSync(stateFile).mtimeMs).toBe(mtimeBefore)
    expect(readdirSync(join(dir, 'state'))).toEqual(['compctl.state.json'])
  })

  it.each([
    ['a missing file', 'nope.yaml', 'nope.yaml: no such file'],
    ['a folder', 'state.yaml', 'state.yaml: is a folder, not a file'],
  ])('%s: one line saying so, exit 1', async (_, name, said) => {
    const {dir, stateFile} = projectWith('empty.yaml')
    if (name === 'state.yaml') mkdirSync(join(dir, name))
    const stateBefore = readFileSync(stateFile)
    for (const command of ['validate', 'plan']) {
      const result = await compctlAsync([command, '-f', name], {cwd: dir}).done
      expect(result.code).toBe(1)
      expect(result.stderr.split('\n')[0]).toBe(said)
      expect(result.stderr).not.toMatch(/^\s+at |internal error/m)
    }
    expect(readFileSync(stateFile).equals(stateBefore)).toBe(true)
  })
})
