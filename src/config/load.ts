import {open, stat} from 'node:fs/promises'
import {basename, dirname, extname, resolve} from 'node:path'
import {LineCounter, parseDocument, type Document} from 'yaml'
import validateFile from '../model/generated/validate-compctl.js'
import type {CompctlFile} from '../model/generated/compctl.js'
import {ProblemsError, UserError, type Problem} from '../errors.js'
import {formatPath, locate, type PathSegment} from './locate.js'
import {schemaProblems} from './schema-messages.js'
import {semanticProblems} from './semantic.js'

/** A desired-state file that passed validation, with the paths it implies. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string
  /** The folder relative paths in the file are resolved against. */
  baseDir: string
  project: string
  /** Absolute state folder. */
  stateDir: string
  spec: CompctlFile
}

export type LoadResult = {ok: true; config: LoadedConfig} | {ok: false; problems: Problem[]}

/** Larger desired-state files are refused before parsing: 50,000 components take about 10 MB. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024
export const DEFAULT_FILE = 'compctl.yaml'

function problemAt(file: string, message: string, line = 1, col = 1): Problem {
  return {file, line, col, path: '', message}
}

/** Reads, parses and validates a desired-state file; every problem is returned, none thrown. */
export async function loadConfig(path: string): Promise<LoadResult> {
  const shown = path
  const absolute = resolve(path)
  const extension = extname(absolute).toLowerCase()
  if (!['.yaml', '.yml', '.json'].includes(extension))
    return {ok: false, problems: [problemAt(shown, `unknown file type "${extension || '(none)'}": name the file *.yaml, *.yml or *.json`)]}

  let size: number
  try {
    size = (await stat(absolute)).size
  } catch {
    throw new UserError(`${shown}: no such file`, {hint: `Create it, or point at another file with -f FILE.`})
  }
  if (size > MAX_FILE_BYTES)
    return {ok: false, problems: [problemAt(shown, `the file is ${(size / 1048576).toFixed(1)} MB; compctl reads desired-state files up to ${MAX_FILE_BYTES / 1048576} MB`)]}

  const handle = await open(absolute, 'r')
  let bytes: Buffer
  try {
    bytes = await handle.readFile()
  } finally {
    await handle.close()
  }
  const nul = bytes.indexOf(0)
  if (nul !== -1) return {ok: false, problems: [problemAt(shown, `not a text file (byte ${nul} is NUL): expected ${extension === '.json' ? 'JSON' : 'YAML'}`)]}
  const text = bytes.toString('utf8')
  return validateText(text, shown, absolute)
}

/** Parses and validates the text of a desired-state file named `shown` (at `absolute`). */
export function validateText(text: string, shown: string, absolute: string): LoadResult {
  const lineCounter = new LineCounter()
  let doc: Document
  let data: unknown
  try {
    doc = parseDocument(text, {lineCounter, uniqueKeys: true, prettyErrors: false, merge: false})
    if (doc.errors.length > 0) {
      return {
        ok: false,
        problems: doc.errors.map((e) => {
          const {line, col} = lineCounter.linePos(e.pos[0])
          return problemAt(shown, parseMessage(e.code, e.message, text.slice(e.pos[0], e.pos[1])), line, col)
        }),
      }
    }
    data = doc.toJS({maxAliasCount: 100})
  } catch (error) {
    const why = error instanceof RangeError ? 'it is nested too deeply to read' : (error as Error).message
    return {ok: false, problems: [problemAt(shown, `cannot parse the file: ${why}`)]}
  }
  if (data === null || data === undefined) return {ok: false, problems: [problemAt(shown, 'the file is empty: it needs at least `version: 1`')]}

  const found: Array<{path: PathSegment[]; atKey: boolean; message: string}> = []
  if (!validateFile(data)) found.push(...schemaProblems(validateFile.errors ?? []))
  found.push(...semanticProblems(data).map((p) => ({...p, atKey: p.atKey ?? false})))
  if (found.length > 0) {
    const problems = found.map(({path, atKey, message}) => {
      const {line, col} = locate(doc, lineCounter, path, atKey)
      return {file: shown, line, col, path: formatPath(path), message}
    })
    problems.sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message))
    return {ok: false, problems}
  }

  const spec = data as CompctlFile
  const baseDir = dirname(absolute)
  return {
    ok: true,
    config: {
      file: absolute,
      baseDir,
      project: spec.project ?? projectFromFolder(baseDir),
      stateDir: resolve(baseDir, spec.settings?.stateDir ?? 'state'),
      spec,
    },
  }
}

function parseMessage(code: string, message: string, source: string): string {
  if (code === 'DUPLICATE_KEY') return `duplicate key${source ? ` "${source.trim()}"` : ''}: each key may appear once`
  return message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '')
}

/** The folder's name, made a valid project name. */
export function projectFromFolder(dir: string): string {
  const name = basename(dir).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  return name === '' ? 'default' : name.slice(0, 128)
}

/** Loads or throws the problems: for commands that need a valid file. */
export async function loadConfigOrThrow(path: string): Promise<LoadedConfig> {
  const result = await loadConfig(path)
  if (!result.ok) throw new ProblemsError(result.problems)
  return result.config
}
