import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {JSDOM} from 'jsdom'
import {buildGraph} from '../../src/planner/graph-model.js'
import {buildPlan} from '../../src/planner/plan.js'
import {palette} from '../../src/util/colour.js'
import {renderGraphDot} from '../../src/views/graph-dot.js'
import {renderGraphMermaid} from '../../src/views/graph-mermaid.js'
import {renderGraphText} from '../../src/views/graph-text.js'
import {change, component, input, running, state} from '../planner/fixtures.js'
import {compctl, ROOT, tempProject} from '../helpers/cli.js'
import {itWithTool} from '../helpers/tool.js'

const DNS = `${ROOT}/examples/dns/compctl.yaml`

/**
 * A file and a state that give every kind of node: `bus` running unchanged, `api` new,
 * `web` edited (restart), `migrate` a change, and `old` recorded but dropped from the file.
 */
function mixed() {
  const bus = component({kind: 'core', priority: 100})
  const scenario = {
    components: {
      bus,
      api: component({kind: 'needed', priority: 50, dependsOn: ['bus', 'migrate']}),
      web: component({command: ['sleep', '2000'], dependsOn: ['api']}),
    },
    changes: {migrate: change({dependsOn: ['bus']})},
    state: state({bus: running(bus, 11), web: running(component({dependsOn: ['api']}), 12), old: running(component({dependsOn: ['bus']}), 13)}),
  }
  const planInput = input(scenario)
  return {spec: planInput.spec, plan: buildPlan(planInput)}
}

describe('buildGraph', () => {
  it('orders nodes as a plan starts them and points each edge from the dependent to its dependency', () => {
    const {spec} = mixed()
    const graph = buildGraph(spec)
    expect(graph.nodes.map((n) => n.name)).toEqual(['bus', 'migrate', 'api', 'web'])
    expect(graph.nodes.every((n) => n.action === undefined)).toBe(true)
    expect(graph.nodes.find((n) => n.name === 'migrate')).toMatchObject({type: 'change'})
    expect(graph.nodes.find((n) => n.name === 'api')).toMatchObject({type: 'component', kind: 'needed', priority: 50})
    expect(graph.edges).toEqual([
      {from: 'migrate', to: 'bus'},
      {from: 'api', to: 'bus'},
      {from: 'api', to: 'migrate'},
      {from: 'web', to: 'api'},
    ])
  })

  it('with a plan, labels each node with its action and adds the components the plan stops', () => {
    const {spec, plan} = mixed()
    const graph = buildGraph(spec, plan)
    expect(Object.fromEntries(graph.nodes.map((n) => [n.name, n.action]))).toEqual({bus: 'none', migrate: 'change', api: 'start', web: 'restart', old: 'stop'})
    expect(graph.nodes.find((n) => n.name === 'old')).toMatchObject({inFile: false, type: 'component'})
    expect(graph.edges).toContainEqual({from: 'old', to: 'bus'})
  })
})

describe('renderers', () => {
  it('text: a tree of what each node depends on, a repeated node named once with (see above)', () => {
    const {spec, plan} = mixed()
    expect(renderGraphText(buildGraph(spec, plan), palette(false))).toBe(
      [
        'Each component or change, with what it depends on below it, and its planned action.',
        '',
        'old  component · dispensable · priority 0 · not in the file  - stop',
        '└── bus  component · core · priority 100  no change',
        'web  component · dispensable · priority 0  ~ restart',
        '└── api  component · needed · priority 50  + start',
        '    ├── bus (see above)',
        '    └── migrate  change  > change',
        '        └── bus (see above)',
        '',
      ].join('\n'),
    )
  })

  it('the same input gives the same bytes in every format', () => {
    const a = mixed()
    const b = mixed()
    for (const render of [renderGraphDot, renderGraphMermaid, (g: ReturnType<typeof buildGraph>) => renderGraphText(g, palette(false))])
      expect(render(buildGraph(a.spec, a.plan))).toBe(render(buildGraph(b.spec, b.plan)))
  })

  itWithTool('dot', 'graphviz', 'dot: Graphviz renders it, with one box per node, one arrow per dependsOn and each planned action as the fill', () => {
    const {spec, plan} = mixed()
    const svg = spawnSync('dot', ['-Tsvg'], {input: renderGraphDot(buildGraph(spec, plan)), encoding: 'utf8'})
    expect(svg.stderr).toBe('')
    expect(svg.status).toBe(0)
    expect(svg.stdout.match(/class="node"/g)).toHaveLength(5)
    const edges = [...svg.stdout.matchAll(/<title>([^<]*&#45;&gt;[^<]*)<\/title>/g)].map((m) => m[1]!.replace('&#45;&gt;', '->')).sort()
    expect(edges).toEqual(['api->bus', 'api->migrate', 'migrate->bus', 'old->bus', 'web->api'])
    for (const fill of ['#c8f0c8', '#f6c6c6', '#f8ecb0', '#e8cdf4', '#ffffff']) expect(svg.stdout).toContain(`fill="${fill}"`)
    expect(svg.stdout).toContain('>no change</text>')
  })

  it('mermaid: the real mermaid parser reads every node, edge and action class', async () => {
    // mermaid sanitizes labels with DOMPurify, which needs a window; jsdom gives it one, no browser.
    ;(globalThis as {window?: unknown}).window = new JSDOM('').window
    const {default: mermaid} = await import('mermaid')
    const {spec, plan} = mixed()
    const text = renderGraphMermaid(buildGraph(spec, plan))
    await expect(mermaid.parse(text)).resolves.toMatchObject({diagramType: 'flowchart-v2'})
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text)
    const db = diagram.db as unknown as {getVertices(): Map<string, {id: string; text: string; classes: string[]}>; getEdges(): Array<{start: string; end: string}>}
    const vertices = [...db.getVertices().values()]
    const nameOf = new Map(vertices.map((v) => [v.id, v.text.split('<br>')[0]]))
    expect(Object.fromEntries(vertices.map((v) => [nameOf.get(v.id), v.classes]))).toEqual({
      bus: ['none'],
      migrate: ['change'],
      api: ['start'],
      web: ['restart'],
      old: ['stop'],
    })
    expect(db.getEdges().map((e) => `${nameOf.get(e.start)}->${nameOf.get(e.end)}`).sort()).toEqual(['api->bus', 'api->migrate', 'migrate->bus', 'old->bus', 'web->api'])
  })
})

describe('compctl graph', () => {
  it('prints the tree of the dns example', () => {
    const result = compctl(['graph', '-f', DNS], {cwd: ROOT})
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('auth  component · needed · priority 100\n└── cfgmgr  component · needed · priority 150\n    └── msgq  component · core · priority 200\n')
  })

  itWithTool('dot', 'graphviz', '--format dot --plan renders with Graphviz, every node filled as planned', () => {
    const dir = tempProject('dns')
    const result = compctl(['graph', '--format', 'dot', '--plan'], {cwd: dir})
    expect(result.code).toBe(0)
    const svg = spawnSync('dot', ['-Tsvg'], {input: result.stdout, encoding: 'utf8'})
    expect(svg.status).toBe(0)
    // A fresh copy has no state: every component is to start.
    expect(svg.stdout.match(/fill="#c8f0c8"/g)).toHaveLength(5)
  })

  it('refuses an invalid file with the usual one-line problems', () => {
    const result = compctl(['graph', '-f', `${ROOT}/no-such-file.yaml`], {cwd: ROOT})
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/no-such-file\.yaml/)
    expect(result.stderr).not.toMatch(/at .*\.js/)
  })
})
