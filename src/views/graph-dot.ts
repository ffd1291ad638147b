import type {DependencyGraph, GraphNode} from '../planner/graph-model.js'
import {ACTION_FILL, actionLabel, nodeDetails} from './graph-formats.js'

/** A DOT string literal: quotes and backslashes escaped, so a name can never end it early. */
function quoted(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

function attributes(node: GraphNode): string {
  const lines = [node.name, nodeDetails(node)]
  if (node.action !== undefined) lines.push(actionLabel(node.action))
  const attrs = [`label = ${quoted(lines.join('\n'))}`, `shape = ${node.type === 'change' ? '"hexagon"' : '"box"'}`]
  if (node.action !== undefined) attrs.push('style = "filled"', `fillcolor = ${quoted(ACTION_FILL[node.action])}`)
  if (!node.inFile) attrs.push('color = "#b04040"', 'fontcolor = "#b04040"')
  return attrs.join(', ')
}

/** Graphviz DOT (`compctl graph --format dot | dot -Tsvg > graph.svg`), arrows from dependent to dependency. */
export function renderGraphDot(graph: DependencyGraph): string {
  const lines = ['digraph "compctl" {', '  rankdir = "RL";', '  node [fontname = "Helvetica", fontsize = 11];']
  for (const node of graph.nodes) lines.push(`  ${quoted(node.name)} [${attributes(node)}];`)
  for (const edge of graph.edges) lines.push(`  ${quoted(edge.from)} -> ${quoted(edge.to)};`)
  lines.push('}')
  return lines.join('\n') + '\n'
}
