const BITS = 5
const WIDTH = 1 << BITS
const MASK = WIDTH - 1

type Node = readonly unknown[]

/**
 * A fixed-size list that is never changed in place: `listSet` copies only the path to one slot
 * (32-way tree, at most 2 levels below the root for 32,768 items), so the view's reducer
 * stays pure and O(1) per event however many steps the plan has.
 */
export interface ImmutableList<T> {
  readonly size: number
  /** Bits of the index consumed above the leaves: 0 when the root is a leaf. */
  readonly shift: number
  readonly root: Node
  /** Only for typing: a list of T never holds anything else. */
  readonly __item?: T
}

export function listOf<T>(items: readonly T[]): ImmutableList<T> {
  let level: Node[] = chunk(items)
  let shift = 0
  while (level.length > 1) {
    level = chunk(level)
    shift += BITS
  }
  return {size: items.length, shift, root: level[0] ?? []}
}

export function listGet<T>(list: ImmutableList<T>, index: number): T | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= list.size) return undefined
  let node = list.root
  for (let level = list.shift; level > 0; level -= BITS) node = node[(index >>> level) & MASK] as Node
  return node[index & MASK] as T
}

/** The same list with `value` at `index`; `list` itself is left as it was. */
export function listSet<T>(list: ImmutableList<T>, index: number, value: T): ImmutableList<T> {
  if (!Number.isInteger(index) || index < 0 || index >= list.size) throw new RangeError(`index ${index} outside a list of ${list.size}`)
  return {size: list.size, shift: list.shift, root: setIn(list.root, list.shift, index, value)}
}

export function listToArray<T>(list: ImmutableList<T>): T[] {
  const out: T[] = []
  const walk = (node: Node, shift: number): void => {
    if (shift === 0) for (const item of node) out.push(item as T)
    else for (const child of node) walk(child as Node, shift - BITS)
  }
  walk(list.root, list.shift)
  return out
}

function setIn(node: Node, shift: number, index: number, value: unknown): Node {
  const copy = node.slice()
  const slot = (index >>> shift) & MASK
  copy[slot] = shift === 0 ? value : setIn(node[slot] as Node, shift - BITS, index, value)
  return copy
}

function chunk(items: readonly unknown[]): Node[] {
  const out: Node[] = []
  for (let i = 0; i < items.length; i += WIDTH) out.push(items.slice(i, i + WIDTH))
  return out
}
