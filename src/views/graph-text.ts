import type {DependencyGraph, GraphNode} from '../planner/graph-model.js'
import type {Palette} from '../util/colour.js'
import {actionLabel, nodeDetails} from './graph-formats.js'
import {ACTION_COLOUR, ACTION_SYMBOL} from './plan-text.js'

/**
 * The graph as a tree, like `npm ls`: each node nothing depends on, with what it depends on
 * indented below it. A node reached again is named with `(see above)` instead of repeating
 * its subtree, so the output stays linear in the size of the graph.
 */
export function renderGraphText(graph: DependencyGraph, colour: Palette): string {
  if (graph.nodes.length === 0) return 'The file has no components or changes.\n'
  const byName = new Map(graph.nodes.map((node) => [node.name, node]))
  const dependencies = new Map<string, string[]>(graph.nodes.map((node) => [node.name, []]))
  const dependedOn = new Set<string>()
  for (const edge of graph.edges) {
    dependencies.get(edge.from)!.push(edge.to)
    dependedOn.add(edge.to)
  }
  const label = (node: GraphNode) => {
    const name = colour.paint('bold', node.name)
    const details = colour.paint('dim', nodeDetails(node))
    if (node.action === undefined) return `${name}  ${details}`
    const action = node.action === 'none' ? colour.paint('dim', actionLabel(node.action)) : colour.paint(ACTION_COLOUR[node.action], `${ACTION_SYMBOL[node.action]} ${node.action}`)
    return `${name}  ${details}  ${action}`
  }
  const lines: string[] = []
  const shown = new Set<string>()
  // Iterative depth-first walk: a long dependency chain cannot overflow the stack.
  const walk = (root: string) => {
    const stack: Array<{name: string; prefix: string; branch: string}> = [{name: root, prefix: '', branch: ''}]
    while (stack.length > 0) {
      const {name, prefix, branch} = stack.pop()!
      if (shown.has(name)) {
        lines.push(`${prefix}${branch}${name} ${colour.paint('dim', '(see above)')}`)
        continue
      }
      shown.add(name)
      lines.push(`${prefix}${branch}${label(byName.get(name)!)}`)
      const childPrefix = prefix + (branch === '' ? '' : branch === '└── ' ? '    ' : '│   ')
      const children = dependencies.get(name)!
      for (let i = children.length - 1; i >= 0; i--) stack.push({name: children[i]!, prefix: childPrefix, branch: i === children.length - 1 ? '└── ' : '├── '})
    }
  }
  // Roots are what nothing depends on, in start order.
  for (const node of graph.nodes) if (!dependedOn.has(node.name) && !shown.has(node.name)) walk(node.name)
  // Only a cycle among nodes the state recorded can leave nodes unshown.
  for (const node of graph.nodes) if (!shown.has(node.name)) walk(node.name)
  const legend = graph.planned ? 'Each component or change, with what it depends on below it, and its planned action.' : 'Each component or change, with what it depends on below it.'
  return `${colour.paint('dim', legend)}\n\n${lines.join('\n')}\n`
}
