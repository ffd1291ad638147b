import type {CompctlFile} from '../model/generated/compctl.js'
import type {CompctlPlan, PlanStep} from '../model/generated/plan.js'
import {topologicalOrder} from './graph.js'
import {byCodeUnits} from '../util/order.js'
import {DEFAULT_KIND} from './plan.js'

/** A node's planned action; `none` when the plan leaves it alone. */
export type GraphAction = PlanStep['action'] | 'none'

export interface GraphNode {
  name: string
  type: 'component' | 'change'
  /** Components only. */
  kind?: string
  priority: number
  /** Only in a graph built with a plan. */
  action?: GraphAction
  /** False for a component only the state knows, planned to stop because the file no longer has it. */
  inFile: boolean
}

/** `from` depends on `to` (the arrow of `terraform graph`: dependent → dependency). */
export interface GraphEdge {
  from: string
  to: string
}

export interface DependencyGraph {
  /** Dependencies before their dependents, ties by priority (highest first) then name: the order a plan starts them. */
  nodes: GraphNode[]
  /** Grouped by `from` in node order, each group's `to` by name. */
  edges: GraphEdge[]
  planned: boolean
}

/**
 * The dependency graph of a desired file: its components and changes and their `dependsOn`.
 * With a plan, each node carries its planned action, and the components the plan stops because
 * the file dropped them are added, with the dependencies their recorded spec named. Pure.
 */
export function buildGraph(spec: CompctlFile, plan?: CompctlPlan): DependencyGraph {
  const nodes = new Map<string, GraphNode>()
  const depsOf = new Map<string, readonly string[]>()
  for (const [name, component] of Object.entries(spec.components ?? {})) {
    nodes.set(name, {name, type: 'component', kind: component.kind ?? DEFAULT_KIND, priority: component.priority ?? 0, inFile: true})
    depsOf.set(name, component.dependsOn ?? [])
  }
  for (const [name, change] of Object.entries(spec.changes ?? {})) {
    nodes.set(name, {name, type: 'change', priority: 0, inFile: true})
    depsOf.set(name, change.dependsOn ?? [])
  }
  if (plan) {
    const actionOf = new Map(plan.steps.map((step) => [step.name, step.action]))
    for (const node of nodes.values()) node.action = actionOf.get(node.name) ?? 'none'
    for (const step of plan.steps) {
      if (nodes.has(step.name)) continue
      nodes.set(step.name, {name: step.name, type: step.type, kind: step.kind ?? DEFAULT_KIND, priority: step.priority, action: step.action, inFile: false})
      const recorded = (step.spec as {dependsOn?: unknown}).dependsOn
      depsOf.set(step.name, Array.isArray(recorded) ? recorded.filter((d): d is string => typeof d === 'string') : [])
    }
  }
  const dependencies = (name: string) => [...new Set(depsOf.get(name)!.filter((d) => nodes.has(d)))].sort(byCodeUnits)
  const ordered = topologicalOrder([...nodes.values()], (node) => dependencies(node.name).map((d) => nodes.get(d)!), (a, b) => b.priority - a.priority || byCodeUnits(a.name, b.name))
  return {
    nodes: ordered,
    edges: ordered.flatMap((node) => dependencies(node.name).map((to) => ({from: node.name, to}))),
    planned: plan !== undefined,
  }
}
