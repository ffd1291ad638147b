import {Flags} from '@oclif/core'
import {formatProblem} from '../errors.js'
import {GRAPH_FORMATS} from '../views/graph-formats.js'
import {BaseCommand, colorFlag, fileFlag} from './base.js'
import {inputFlags, inputSources} from './input-flags.js'
import {stateFlags, stateOptions} from './state-flags.js'

export default class Graph extends BaseCommand {
  static override summary = 'Show the dependency graph of the file: components and changes, arrows from dependent to dependency.'
  static override description =
    'Each node is a component (with its kind and priority) or a change; each arrow is a dependsOn, from the dependent to what it depends on, as in `terraform graph`. With --plan, each node also shows its planned action (the same plan as `compctl plan`). The output is the same for the same input, byte for byte.'
  static override examples = [
    '<%= config.bin %> graph',
    '<%= config.bin %> graph --format dot | dot -Tsvg > graph.svg',
    '<%= config.bin %> graph --format mermaid --plan',
  ]

  static override flags = {
    file: fileFlag,
    format: Flags.option({options: GRAPH_FORMATS, summary: 'Output format: a tree for the terminal, Graphviz DOT, or a mermaid flowchart.', default: 'text' as const})(),
    plan: Flags.boolean({summary: 'Label and colour each node with its planned action (refreshes the state, as `compctl plan` does).'}),
    color: colorFlag,
    ...inputFlags,
    ...stateFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Graph)
    const {buildGraph} = await import('../planner/graph-model.js')
    let config
    let plan
    if (flags.plan) {
      const {makePlan} = await import('../services/plan-service.js')
      const request = {file: flags.file, inputs: inputSources(flags), ...stateOptions(flags), destroy: false, targets: [], replace: [], refresh: true}
      ;({config, plan} = await makePlan(request))
    } else {
      config = await (await import('../config/load.js')).loadConfigOrThrow(flags.file)
    }
    for (const warning of config.warnings) this.note(formatProblem(warning))
    const graph = buildGraph(config.spec, plan)
    if (flags.format === 'dot') this.out((await import('../views/graph-dot.js')).renderGraphDot(graph))
    else if (flags.format === 'mermaid') this.out((await import('../views/graph-mermaid.js')).renderGraphMermaid(graph))
    else this.out((await import('../views/graph-text.js')).renderGraphText(graph, this.palette(flags.color)))
  }
}
