import {isUtf8} from 'node:buffer'
import {stat} from 'node:fs/promises'
import {basename, dirname, extname, resolve} from 'node:path'
import validateFile from '../model/generated/validate-compctl.js'
import type {CompctlFile} from '../model/generated/compctl.js'
import {ProblemsError, UserError, type Problem} from '../errors.js'
import {parseJson} from './json.js'
import {cachedParse, keepParse} from './parse-cache.js'
import {formatPath, lineColumns, locateOffset, type PathSegment, type SourceNode} from './locate.js'
import {schemaProblems} from './schema-messages.js'
import {semanticProblems} from './semantic.js'
import {asName} from '../util/names.js'
import {readInputFile} from '../util/read-input.js'
import {variableProblems} from './variables.js'
import {parseYaml, type ParsedFile} from './yaml.js'
import {byCodeUnits} from '../util/order.js'

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
  /** Located problems that do not make the file invalid; commands that read the file show them. */
  warnings: Problem[]
}

export type LoadResult = {ok: true; config: LoadedConfig} | {ok: false; problems: Problem[]; warnings: Problem[]}

/** Larger desired-state files are refused before parsing: 50,000 components take about 14 MB. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024
export const DEFAULT_FILE = 'compctl.yaml'

const EXTENSIONS = ['.yaml', '.yml', '.json']

function problemAt(file: string, message: string, line = 1, col = 1): Problem {
  return {file, line, col, path: '', message}
}

function invalid(problems: Problem[], warnings: Problem[] = []): LoadResult {
  return {ok: false, problems, warnings}
}

/**
 * Reads, parses and validates a desired-state file. Every problem in the file is returned; a file
 * that cannot be read at all (missing, a folder, no permission) throws a UserError.
 */
export async function loadConfig(path: string): Promise<LoadResult> {
  const shown = path
  const absolute = resolve(path)
  const extension = extname(absolute).toLowerCase()
  if (!EXTENSIONS.includes(extension))
    return invalid([problemAt(shown, `unknown file type "${extension || '(none)'}": name the file *.yaml, *.yml or *.json`)])

  let bytes: Buffer
  try {
    const info = await stat(absolute)
    if (info.isDirectory()) throw new UserError(`${shown}: is a folder, not a file`, {hint: 'Point at the desired-state file inside it with -f FILE.'})
    if (info.size > MAX_FILE_BYTES)
      return invalid([problemAt(shown, `the file is ${(info.size / 1048576).toFixed(1)} MB; compctl reads desired-state files up to ${MAX_FILE_BYTES / 1048576} MB`)])
    // Only a regular file, and never more than the limit: a FIFO or /dev/zero passes the stat above.
    bytes = await readInputFile(shown, 'the desired-state file', MAX_FILE_BYTES)
  } catch (error) {
    if (error instanceof UserError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(`${shown}: no such file`, {hint: 'Create it, or point at another file with -f FILE.'})
    throw new UserError(`${shown}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      hint: 'Check its permissions, or point at another file with -f FILE.',
    })
  }
  const kind = extension === '.json' ? 'JSON' : 'YAML'
  const nul = bytes.indexOf(0)
  if (nul !== -1) {
    const {line, col} = bytePosition(bytes, nul)
    return invalid([problemAt(shown, `not a text file (byte ${nul} is NUL): expected ${kind} text`, line, col)])
  }
  if (!isUtf8(bytes)) {
    const bad = firstInvalidUtf8(bytes)
    const {line, col} = bytePosition(bytes, bad)
    const hex = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')
    return invalid([problemAt(shown, `not valid UTF-8 (byte 0x${hex} at byte ${bad}): save the file as UTF-8`, line, col)])
  }
  return validateText(bytes.toString('utf8'), shown, absolute)
}

/** 1-based line and column (in characters) of a byte of a file. */
function bytePosition(bytes: Buffer, index: number): {line: number; col: number} {
  let line = 1
  let lineStart = 0
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < index; at = bytes.indexOf(0x0a, at + 1)) {
    line++
    lineStart = at + 1
  }
  return {line, col: bytes.subarray(lineStart, index).toString('utf8').length + 1}
}

/** The index of the first byte that breaks UTF-8 (the file is known not to be valid UTF-8). */
function firstInvalidUtf8(bytes: Buffer): number {
  let at = 0
  while (at < bytes.length) {
    const lead = bytes[at]!
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0
    if (length === 0) return at
    for (let k = 1; k < length; k++) if (at + k >= bytes.length || (bytes[at + k]! & 0xc0) !== 0x80) return at
    // Overlong forms, surrogates and code points past U+10FFFF.
    const second = bytes[at + 1] ?? 0
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return at
    at += length
  }
  return bytes.length - 1
}

/** Parses and validates the text of a desired-state file named `shown` (at `absolute`). */
export function validateText(text: string, shown: string, absolute: string): LoadResult {
  // This build found this very text valid before: its data and its warnings were kept (the checks depend on nothing else).
  const kept = cachedParse(absolute, text)
  if (kept) return loaded(absolute, kept.data, kept.warnings.map((warning) => ({file: shown, ...warning})))

  const parsed = extname(absolute).toLowerCase() === '.json' ? parseJsonFile(text) : parseYaml(text)
  const located = (found: Array<{offset: number; path: PathSegment[]; message: string; severity?: 'warning'}>): Problem[] => {
    if (found.length === 0) return []
    const position = lineColumns(text)
    const problems = found.map(({offset, path, message, severity}) => ({
      file: shown,
      ...position(offset),
      path: formatPath(path),
      message,
      ...(severity ? {severity} : {}),
    }))
    return problems.sort((a, b) => a.line - b.line || a.col - b.col || byCodeUnits(a.message, b.message))
  }
  if (!parsed.ok) return invalid(located(parsed.problems))

  const data = parsed.data
  if (data === null || data === undefined) {
    const why = text.trim() === '' ? 'the file is empty' : 'the file has no content, only comments'
    return invalid([problemAt(shown, `${why}: it needs at least \`version: 1\``)])
  }

  const found: Array<{path: PathSegment[]; atKey?: boolean; message: string; severity?: 'warning'}> = []
  if (!validateFile(data)) found.push(...schemaProblems(validateFile.errors ?? [], data))
  found.push(...semanticProblems(data))
  found.push(...variableProblems(data))
  // The source tree (for positions) is built only when there is something to point at.
  const tree: SourceNode | undefined = found.length > 0 ? parsed.sourceTree() : undefined
  const all = located(found.map((problem) => ({...problem, offset: locateOffset(tree, problem.path, problem.atKey ?? false)})))
  const warnings = all.filter((problem) => problem.severity === 'warning')
  if (warnings.length < all.length) return invalid(all.filter((problem) => problem.severity !== 'warning'), warnings)

  keepParse(absolute, text, data, warnings.map(({file: _file, ...warning}) => warning))
  return loaded(absolute, data, warnings)
}

/** A valid file's result: its data, and where it puts the project and the state. */
function loaded(absolute: string, data: unknown, warnings: Problem[]): LoadResult {
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
      warnings,
    },
  }
}

/** A .json file is strict JSON: no comments, no trailing commas, no duplicate keys. */
function parseJsonFile(text: string): ParsedFile {
  const result = parseJson(text, false)
  if (!result.ok) {
    const position = lineColumns(text)
    const first = result.firstOffset === undefined ? '' : ` (the first is at line ${position(result.firstOffset).line})`
    return {ok: false, problems: [{offset: result.offset, path: result.path, message: `invalid JSON: ${result.message}${first}`}]}
  }
  return {ok: true, data: result.value, sourceTree: () => (parseJson(text, true) as {root: SourceNode | undefined}).root}
}

/** The folder's name, made a valid project name. */
export function projectFromFolder(dir: string): string {
  return asName(basename(dir))
}

/** Loads or throws the problems: for commands that need a valid file. */
export async function loadConfigOrThrow(path: string): Promise<LoadedConfig> {
  const result = await loadConfig(path)
  if (!result.ok) throw new ProblemsError(result.problems)
  return result.config
}

/** Locates problems found after the file was loaded (against the state, say) in the file as it is now. */
export async function locateInFile(config: LoadedConfig, found: ReadonlyArray<{path: PathSegment[]; message: string}>): Promise<Problem[]> {
  // A file that changed or went away since it was loaded is pointed at as well as it can be.
  const text = await readInputFile(config.file, 'the desired-state file', MAX_FILE_BYTES).then(
    (bytes) => bytes.toString('utf8'),
    () => '',
  )
  const parsed = extname(config.file).toLowerCase() === '.json' ? parseJsonFile(text) : parseYaml(text)
  const tree = parsed.ok ? parsed.sourceTree() : undefined
  const position = lineColumns(text)
  return found.map(({path, message}) => ({file: config.file, ...position(locateOffset(tree, path)), path: formatPath(path), message}))
}
