import type {GraphAction, GraphNode} from '../planner/graph-model.js'

/** The formats a graph renders in; its own module so the command can declare its flag without loading the views. */
export const GRAPH_FORMATS = ['text', 'dot', 'mermaid'] as const
export type GraphFormat = (typeof GRAPH_FORMATS)[number]

/** `component · core · priority 200`, `change`; a planned node adds its action. */
export function nodeDetails(node: GraphNode): string {
  const parts: string[] = [node.type]
  if (node.type === 'component') parts.push(node.kind ?? '', `priority ${node.priority}`)
  if (!node.inFile) parts.push('not in the file')
  return parts.join(' · ')
}

/** What a planned node's action reads as; `no change` for one the plan leaves alone. */
export function actionLabel(action: GraphAction): string {
  return action === 'none' ? 'no change' : action
}

/** Fill colours of planned nodes in the drawn formats, after the plan text's colours. */
export const ACTION_FILL: Record<GraphAction, string> = {
  start: '#c8f0c8',
  stop: '#f6c6c6',
  restart: '#f8ecb0',
  reload: '#c4ecf4',
  update: '#c8d8f8',
  move: '#d0e0ff',
  change: '#e8cdf4',
  none: '#ffffff',
}
