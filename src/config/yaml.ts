import {isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLError} from 'yaml'
import {MAX_NESTING} from './json.js'
import {lineColumns, yamlSourceTree, type PathSegment, type SourceNode} from './locate.js'
import {withLateOptimisation} from '../util/late-optimisation.js'

/** A problem found while reading a file, before its lines and columns are worked out. */
export interface SourceProblem {
  offset: number
  path: PathSegment[]
  message: string
}

/** A parsed desired-state file: its data and, for pointing at problems, a source tree built on demand. */
export type ParsedFile = {ok: true; data: unknown; sourceTree: () => SourceNode | undefined} | {ok: false; problems: SourceProblem[]}

/**
 * How far aliases may expand (yaml's count of values an alias brings in): generous for a file that
 * reuses one anchor in every component, far below what an "alias bomb" needs.
 */
const MAX_ALIAS_EXPANSION = 10_000

/**
 * Files this long or longer are parsed with V8's tier-up delayed (withLateOptimisation). In shorter
 * ones V8 optimises at most one of yaml's lexer functions (--trace-opt on flow-style components:
 * none at 1.4 KB, one at 1.7 KB, three at 2.4 KB; none on examples/dns), not worth loading node:v8 for.
 */
const RUNS_HOT = 2048

/** yaml's messages that speak of its own API, said for a person writing a file. */
const MESSAGES: Record<string, string> = {
  MULTIPLE_DOCS: 'the file holds more than one document: compctl reads one; remove the second `---` (or `...`) and what follows, or merge them',
}

const HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BLOCK_AS_IMPLICIT_KEY: 'a value cannot itself be `key: value` on the same line: put the inner mapping on its own indented line, or quote the value',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line; is the line before it missing a `:` or indented wrongly?',
}

function yamlMessage(error: YAMLError): string {
  const said = MESSAGES[error.code] ?? error.message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '')
  const hint = HINTS[error.code] ?? (/end with an? [\]}]/.test(said) ? 'a [ or { opened before this point is not closed' : undefined)
  return `invalid YAML: ${said}${hint ? ` (${hint})` : ''}`
}

/** Parses YAML text into data, refusing what would make data ambiguous: duplicate keys, non-name keys, dangling or runaway aliases. */
export function parseYaml(text: string): ParsedFile {
  // Duplicate keys are found by structureProblems: yaml's own check compares every key with every other (slow for big maps).
  const parse = () => parseDocument(text, {uniqueKeys: false, prettyErrors: false, merge: false})
  const doc = text.length < RUNS_HOT ? parse() : withLateOptimisation(parse)
  if (doc.errors.length > 0) return {ok: false, problems: syntaxProblems(text, doc.errors)}
  const problems = [
    ...doc.warnings.map((w) => ({offset: w.pos[0], path: [], message: warningMessage(w)})),
    ...structureProblems(doc, text),
  ]
  if (problems.length > 0) return {ok: false, problems}
  try {
    return {ok: true, data: doc.toJS({maxAliasCount: MAX_ALIAS_EXPANSION}), sourceTree: () => yamlSourceTree(doc)}
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/Excessive alias count/.test(error.message)) throw error
    return {
      ok: false,
      problems: [
        {
          offset: firstAliasOffset(doc),
          path: [],
          message: `the aliases (*name) in this file expand to more than ${MAX_ALIAS_EXPANSION} values, which looks like an "alias bomb": write the values out, or reuse an anchor fewer times`,
        },
      ],
    }
  }
}

function syntaxProblems(text: string, errors: readonly YAMLError[]): SourceProblem[] {
  const exhausted = errors.find((e) => e.code === 'RESOURCE_EXHAUSTION')
  if (exhausted) {
    const deep = flowNestingOffset(text, MAX_NESTING)
    return [
      {
        offset: deep ?? exhausted.pos[0],
        path: [],
        message: deep === undefined ? 'nested too deeply to read: a compctl file needs only a few levels' : `nested more than ${MAX_NESTING} levels deep: a compctl file needs only a few`,
      },
    ]
  }
  const out: SourceProblem[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const message = yamlMessage(error)
    const key = `${error.pos[0]}|${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({offset: error.pos[0], path: [], message})
  }
  return out
}

function warningMessage(warning: YAMLError): string {
  if (warning.code === 'TAG_RESOLVE_FAILED') return `invalid YAML: ${warning.message}: compctl files use plain values; remove the tag`
  return `invalid YAML: ${warning.message}`
}

/**
 * Where `[`/`{` nesting first goes deeper than `limit`. Quotes are not tracked: it is only asked
 * after yaml ran out of stack, to point at the culprit.
 */
function flowNestingOffset(text: string, limit: number): number | undefined {
  let depth = 0
  for (let at = 0; at < text.length; at++) {
    const c = text.charCodeAt(at)
    if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return at
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--
  }
  return undefined
}

interface Frame {
  node: unknown
  /** The key or index of this value in its parent (none for the document's root). */
  step: PathSegment | undefined
  depth: number
  parent: Frame | undefined
}

/** A frame's path from the root: worked out only for a problem, not for every value of the file. */
function pathOf(frame: Frame): PathSegment[] {
  const path: PathSegment[] = []
  for (let at: Frame | undefined = frame; at?.parent; at = at.parent) path.push(at.step!)
  return path.reverse()
}

/**
 * Walks the document in order (iteratively: depth is attacker-controlled) for duplicate keys,
 * keys that are not names, aliases to no anchor or to a value containing themselves, and nesting
 * deeper than the data can be turned into JavaScript safely.
 */
function structureProblems(doc: Document, text: string): SourceProblem[] {
  const problems: SourceProblem[] = []
  const anchors = new Map<string, unknown>()
  let position: ReturnType<typeof lineColumns> | undefined
  const line = (offset: number) => (position ??= lineColumns(text))(offset).line
  const stack: Frame[] = doc.contents ? [{node: doc.contents, step: undefined, depth: 0, parent: undefined}] : []
  while (stack.length > 0) {
    const frame = stack.pop()!
    const node = frame.node as Node | null
    const offset = node?.range?.[0] ?? 0
    if (node && 'anchor' in node && typeof node.anchor === 'string') anchors.set(node.anchor, node)
    if (isAlias(node)) {
      const target = anchors.get(node.source)
      if (target === undefined) problems.push({offset, path: pathOf(frame), message: `unknown alias *${node.source}: no anchor &${node.source} comes before it`})
      else {
        for (let up = frame.parent; up; up = up.parent)
          if (up.node === target) {
            problems.push({offset, path: pathOf(frame), message: `alias *${node.source} is inside the value it refers to, which would make it endless`})
            break
          }
      }
      continue
    }
    if (!isMap(node) && !isSeq(node)) continue
    if (frame.depth >= MAX_NESTING) {
      problems.push({offset, path: pathOf(frame), message: `nested more than ${MAX_NESTING} levels deep: a compctl file needs only a few`})
      continue
    }
    // Children are pushed last first, so they are visited in order.
    const depth = frame.depth + 1
    if (isMap(node)) {
      const keys = new Map<string, number>()
      const children: Frame[] = []
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const key = pair.key as Node | null
        const keyOffset = key?.range?.[0] ?? offset
        if (key !== null && !isScalar(key)) {
          problems.push({offset: keyOffset, path: pathOf(frame), message: 'a key must be a name or other plain value, not a list, mapping or alias'})
          continue
        }
        const name = String(key?.value ?? '')
        const first = keys.get(name)
        if (first !== undefined) {
          problems.push({
            offset: keyOffset,
            path: [...pathOf(frame), name],
            message: `duplicate key ${JSON.stringify(name)}: each key may appear once (the first is at line ${line(first)})`,
          })
          continue
        }
        keys.set(name, keyOffset)
        children.push({node: pair.value, step: name, depth, parent: frame})
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
    } else {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({node: node.items[i], step: i, depth, parent: frame})
    }
  }
  return problems
}

function firstAliasOffset(doc: Document): number {
  let first: number | undefined
  const stack: unknown[] = [doc.contents]
  while (stack.length > 0 && first === undefined) {
    const node = stack.pop()
    if (isAlias(node)) first = node.range?.[0]
    else if (isMap(node)) for (const pair of [...node.items].reverse()) stack.push(pair.value, pair.key)
    else if (isSeq(node)) stack.push(...[...node.items].reverse())
  }
  return first ?? 0
}
