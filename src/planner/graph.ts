/** Graph helpers shared by validation (cycles) and planning (ordering). Pure. */
import {byCodeUnits} from '../util/order.js'

/** Each dependency cycle once, as a closed path `[a, b, a]`, in a stable order. */
export function findCycles(nodes: readonly string[], depsOf: (node: string) => readonly string[]): string[][] {
  // Tarjan's strongly connected components, iterative so deep chains cannot overflow the stack.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  let counter = 0
  const known = new Set(nodes)
  for (const root of [...nodes].sort()) {
    if (index.has(root)) continue
    const work: Array<{node: string; deps: string[]; next: number}> = []
    const push = (node: string) => {
      index.set(node, counter)
      low.set(node, counter)
      counter++
      stack.push(node)
      onStack.add(node)
      work.push({node, deps: depsOf(node).filter((d) => known.has(d)), next: 0})
    }
    push(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      if (frame.next < frame.deps.length) {
        const dep = frame.deps[frame.next++]!
        if (!index.has(dep)) push(dep)
        else if (onStack.has(dep)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(dep)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        const selfLoop = component.length === 1 && depsOf(frame.node).includes(frame.node)
        if (component.length > 1 || selfLoop) components.push(component)
      }
    }
  }
  return components.map((component) => cyclePath(component, depsOf)).sort((a, b) => byCodeUnits(a[0]!, b[0]!))
}

/** A closed path through one strongly connected component, starting at its smallest name. */
function cyclePath(component: string[], depsOf: (node: string) => readonly string[]): string[] {
  const members = new Set(component)
  const start = [...component].sort()[0]!
  // Breadth-first from start back to start gives the shortest cycle through it.
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const node = queue.shift()!
    for (const dep of [...depsOf(node)].sort()) {
      if (!members.has(dep)) continue
      if (dep === start) {
        const path = [start]
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at)
        return [...path, start]
      }
      if (!previous.has(dep)) {
        previous.set(dep, node)
        queue.push(dep)
      }
    }
  }
  return [start, start]
}

/** A binary min-heap: topological ordering of tens of thousands of steps stays O(n log n). */
class Heap<T> {
  private items: T[] = []
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length
  }
  push(item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }
  pop(): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r
        if (m === i) break
        ;[items[i], items[m]] = [items[m]!, items[i]!]
        i = m
      }
    }
    return top
  }
}

/**
 * Kahn's algorithm: every node after the nodes it waits for, and among the ready ones the
 * smallest by `compare` first. A cycle (possible only in a graph read from the state, which
 * may mix specs of several file versions) is broken at its smallest node by `compare`, so the
 * order is still total and deterministic; the caller drops waits on nodes that come later.
 */
export function topologicalOrder<T>(
  nodes: readonly T[],
  waitsFor: (node: T) => readonly T[],
  compare: (a: T, b: T) => number,
): T[] {
  const blockers = new Map<T, number>()
  const dependents = new Map<T, T[]>()
  for (const node of nodes) {
    const waits = waitsFor(node)
    blockers.set(node, waits.length)
    for (const w of waits) {
      const list = dependents.get(w)
      if (list) list.push(node)
      else dependents.set(w, [node])
    }
  }
  const ready = new Heap<T>((a, b) => compare(a, b) < 0)
  for (const node of nodes) if (blockers.get(node) === 0) ready.push(node)
  const done = new Set<T>()
  const out: T[] = []
  while (out.length < nodes.length) {
    let node = ready.pop()
    if (node === undefined) {
      node = [...nodes].filter((n) => !done.has(n)).sort(compare)[0]!
    } else if (done.has(node)) continue
    done.add(node)
    out.push(node)
    for (const dependent of dependents.get(node) ?? []) {
      const left = blockers.get(dependent)! - 1
      blockers.set(dependent, left)
      if (left === 0 && !done.has(dependent)) ready.push(dependent)
    }
  }
  return out
}
