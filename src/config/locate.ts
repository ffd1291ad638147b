import {isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node} from 'yaml'

export type PathSegment = string | number

/** Where a path points in a parsed document, 1-based; the key's position with `atKey`. */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  atKey = false,
): {line: number; col: number} {
  let node: unknown = doc.contents
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment))
      if (!pair) break
      const key = pair.key as Node
      if (last && atKey) {
        offset = key.range?.[0] ?? offset
        break
      }
      node = pair.value
      offset = (pair.value as Node | null)?.range?.[0] ?? key.range?.[0] ?? offset
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined
      if (!item) break
      node = item
      offset = item.range?.[0] ?? offset
    } else break
  }
  return lineCounter.linePos(offset)
}

/** `components.msgq.command[0]`: how a path reads in a message. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** `/components/msgq/command/0` (ajv's instancePath) as segments. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))
}
