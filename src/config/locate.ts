import {isMap, isPair, isScalar, isSeq, type Document, type Node} from 'yaml'

export type PathSegment = string | number

/**
 * Where the parts of a parsed file start (character offsets), whichever syntax it was written in:
 * built from a YAML document or by the JSON parser, and only when there is a problem to point at.
 */
export interface SourceNode {
  offset: number
  /** A mapping's keys: where each key starts, and its value. */
  entries?: Map<string, {keyOffset: number; node: SourceNode}>
  /** A list's items. */
  items?: SourceNode[]
}

/** The offset a path points at: its value, or with `atKey` its key; as deep as the path exists. */
export function locateOffset(root: SourceNode | undefined, path: readonly PathSegment[], atKey = false): number {
  let node = root
  let offset = root?.offset ?? 0
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!
    if (node.entries) {
      const entry = node.entries.get(String(segment))
      if (!entry) break
      if (atKey && i === path.length - 1) return entry.keyOffset
      node = entry.node
    } else if (node.items && typeof segment === 'number') {
      node = node.items[segment]
      if (!node) break
    } else break
    offset = node.offset
  }
  return offset
}

/**
 * The source tree of a YAML document. An alias is a leaf at the alias: a problem inside the
 * anchored value is pointed at where it was brought in.
 */
export function yamlSourceTree(doc: Document): SourceNode | undefined {
  const convert = (value: unknown, fallback: number): SourceNode => {
    const node = value as Node | null
    const offset = node?.range?.[0] ?? fallback
    if (isMap(node)) {
      const entries = new Map<string, {keyOffset: number; node: SourceNode}>()
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue
        const name = String(pair.key.value)
        if (entries.has(name)) continue
        const keyOffset = pair.key.range?.[0] ?? offset
        entries.set(name, {keyOffset, node: convert(pair.value, keyOffset)})
      }
      return {offset, entries}
    }
    if (isSeq(node)) return {offset, items: node.items.map((item) => convert(item, offset))}
    return {offset}
  }
  return doc.contents ? convert(doc.contents, 0) : undefined
}

/** Turns character offsets into 1-based line and column; built once per file with problems. */
export function lineColumns(text: string): (offset: number) => {line: number; col: number} {
  const starts = [0]
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1)
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (starts[mid]! <= offset) low = mid
      else high = mid - 1
    }
    return {line: low + 1, col: offset - starts[low]! + 1}
  }
}

/** Longer paths (only absurdly nested files have them) are cut short in messages. */
const PATH_SHOWN = 12

/** `components.msgq.command[0]`: how a path reads in a message. */
export function formatPath(path: readonly PathSegment[]): string {
  if (path.length > PATH_SHOWN) return `${formatPath(path.slice(0, PATH_SHOWN - 4))}…(${path.length - PATH_SHOWN + 4} levels more)`
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/**
 * `/components/msgq/command/0` (ajv's instancePath) as segments; a segment is a number only
 * where `data` has a list, so a component named "80" stays a name.
 */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return []
  const path: PathSegment[] = []
  let value = data
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const index = Array.isArray(value) && /^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : undefined
    path.push(index ?? segment)
    value = value !== null && typeof value === 'object' && Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined
  }
  return path
}
