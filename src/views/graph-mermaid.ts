import type {DependencyGraph, GraphAction, GraphNode} from '../planner/graph-model.js'
import {ACTION_FILL, actionLabel, nodeDetails} from './graph-formats.js'

/**
 * Text for a quoted mermaid label: mermaid has no backslash escapes, only entity codes, so a
 * quote or angle bracket becomes `#quot;`/`#lt;`/`#gt;` and `#` itself `#35;`.
 */
function label(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')
}

function shape(node: GraphNode, id: string): string {
  const lines = [node.name, nodeDetails(node)]
  if (node.action !== undefined) lines.push(actionLabel(node.action))
  const text = `"${lines.map(label).join('<br/>')}"`
  return node.type === 'change' ? `${id}{{${text}}}` : `${id}[${text}]`
}

/**
 * A mermaid flowchart (for a README or a pull request: GitHub renders ```mermaid blocks).
 * Nodes get ids n0, n1, … in graph order, since a name such as `end` is a mermaid keyword.
 */
export function renderGraphMermaid(graph: DependencyGraph): string {
  const id = new Map(graph.nodes.map((node, i) => [node.name, `n${i}`]))
  const lines = ['flowchart RL']
  for (const node of graph.nodes) lines.push(`  ${shape(node, id.get(node.name)!)}`)
  for (const edge of graph.edges) lines.push(`  ${id.get(edge.from)} --> ${id.get(edge.to)}`)
  if (graph.planned) {
    const used = new Set(graph.nodes.map((node) => node.action!))
    for (const action of Object.keys(ACTION_FILL) as GraphAction[])
      if (used.has(action)) lines.push(`  classDef ${action} fill:${ACTION_FILL[action]},stroke:#555,color:#000`)
    for (const node of graph.nodes) lines.push(`  class ${id.get(node.name)} ${node.action}`)
  }
  return lines.join('\n') + '\n'
}
