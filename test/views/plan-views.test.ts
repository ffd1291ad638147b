import {describe, expect, it} from 'vitest'
import type {Component} from '../../src/model/generated/compctl.js'
import type {CompctlPlan} from '../../src/model/generated/plan.js'
import {palette} from '../../src/util/colour.js'
import {MARKDOWN_LIMIT, renderPlanMarkdown} from '../../src/views/plan-markdown.js'
import {renderPlanText, summaryLine} from '../../src/views/plan-text.js'
import {renderPlan} from '../../src/views/render-plan.js'
import {renderStateText} from '../../src/views/state-text.js'
import {buildPlan} from '../../src/planner/plan.js'
import {change, component, input, plan, ran, running, state} from '../planner/fixtures.js'

const ESC = '\u001b['
const plain = palette(false)

/** One step of every action: stop, start, restart, reload, update, change. */
function everyAction(): CompctlPlan {
  const restarted = component({priority: 2, env: {KEEP: '1', LEVEL: 'info', OLD: 'x'}})
  const reloaded = component({priority: 3, watch: ['r.conf'], reload: {signal: 'SIGHUP'}, lock: 'restart'})
  const updated = component({priority: 4})
  const migrate = change({targets: [{name: 'ns1'}, {name: 'ns2'}, {name: 'ns3'}], serial: 2})
  return plan({
    components: {
      fresh: component({priority: 1, kind: 'core'}),
      restarted: {...restarted, env: {KEEP: '1', LEVEL: 'debug', NEW: 'y'}},
      reloaded,
      updated: {...updated, priority: 5},
    },
    changes: {migrate},
    locks: {restart: {holders: 1}},
    state: state({
      gone: running(component(), 1),
      restarted: running(restarted, 2),
      reloaded: running(reloaded, 3, {watched: {'r.conf': 'sha256:a'}}),
      updated: running(updated, 4),
    }),
    watched: {reloaded: {'r.conf': 'sha256:b'}},
  })
}

describe('text view', () => {
  const text = renderPlanText(everyAction(), plain)

  it('marks each action with its symbol: + start, - stop, ~ restart/reload/update, > change', () => {
    expect(text).toContain('\n  - stop gone  (dispensable, priority 0)\n')
    expect(text).toContain('\n  + start fresh  (core, priority 1)\n')
    expect(text).toContain('\n  ~ restart restarted  (dispensable, priority 2)\n')
    expect(text).toContain('\n  ~ reload reloaded  (dispensable, priority 3)  lock: restart\n')
    expect(text).toContain('\n  ~ update updated  (dispensable, priority 5)\n')
    expect(text).toContain('\n  > change migrate\n')
  })

  it('gives each step its reason, field-level diff with impact, batches and waits', () => {
    expect(text).toContain('      removed from the file\n')
    expect(text).toContain('      env changed\n')
    expect(text).toContain('      ~ env.LEVEL: "info" → "debug"  (restart)\n')
    expect(text).toContain('      + env.NEW: "y"  (restart)\n')
    expect(text).toContain('      - env.OLD: "x"  (restart)\n')
    expect(text).not.toContain('env.KEEP')
    expect(text).toContain('      ~ watch:r.conf: "sha256:a" → "sha256:b"  (reload)\n')
    expect(text).toContain('      ~ priority: 4 → 5\n')
    expect(text).toContain('      batches: [ns1, ns2] → [ns3]\n')
    expect(text).toContain('      waits for: stop.gone\n')
  })

  it('ends with the summary line', () => {
    expect(text.trimEnd().split('\n').at(-1)).toBe('Plan: 1 to start, 1 to stop, 1 to restart, 1 to reload, 1 to update, 1 change to run.')
    expect(summaryLine({start: 0, stop: 0, restart: 0, reload: 0, update: 0, change: 2, total: 2})).toBe('2 changes to run')
  })

  it('says "No changes." for an empty plan', () => {
    const empty = renderPlanText(plan({}), plain)
    expect(empty).toBe('No changes. The running system matches /srv/test/compctl.yaml.\n')
  })

  it('colours with a palette that is on, and never without one', () => {
    const coloured = renderPlanText(everyAction(), palette(true))
    expect(coloured).toContain(ESC)
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(text)
    expect(text).not.toContain(ESC)
  })

  it('shows control characters of a reason as escapes, and indents every line of it', () => {
    const web = component()
    const p = plan({components: {web}, state: state({web: running(web, 5, {status: 'failed', pid: null, lastError: `bad\u001b[31m red\nsecond line`})})})
    const out = renderPlanText(p, plain)
    expect(out).not.toContain('\u001b')
    expect(out).toContain('      last start failed: bad\\x1b[31m red\n      second line\n')
  })
})

describe('markdown view', () => {
  it('is a table of the steps with their details', () => {
    const md = renderPlanMarkdown(everyAction())
    expect(md).toContain('### compctl plan: `test`')
    expect(md).toContain('**6 steps:** 1 to start, 1 to stop, 1 to restart, 1 to reload, 1 to update, 1 change to run.')
    expect(md).toContain('| | step | kind | priority | lock | waits for | reason |\n|---|---|---|---|---|---|---|\n')
    expect(md).toContain('| 🔴 | stop `gone` | dispensable | 0 |  |  | removed from the file |')
    expect(md).toContain('| 🔵 | reload `reloaded` | dispensable | 3 | `restart` | `stop.gone` |')
    expect(md).toContain('<details><summary>restart <code>restarted</code></summary>')
    expect(md).toContain('~ env.LEVEL: "info" → "debug"  (restart)')
    expect(md).toContain('batches: [ns1, ns2] → [ns3]')
    expect(md).not.toContain('Left out')
  })

  it('says "No changes." for an empty plan', () => {
    expect(renderPlanMarkdown(plan({}))).toBe('### compctl plan: `test`\n\nNo changes. The running system matches the file.\n')
  })

  it('keeps a reason from breaking the table or injecting HTML', () => {
    const web = component()
    const p = plan({components: {web}, state: state({web: running(web, 5, {status: 'failed', pid: null, lastError: `a | b\n<script>x</script> ${'y'.repeat(1000)}`})})})
    const row = renderPlanMarkdown(p).split('\n').find((l) => l.startsWith('| 🟢'))!
    expect(row).toContain('a \\| b &lt;script&gt;x&lt;/script&gt;')
    expect(row.length).toBeLessThan(500)
    expect(row.split(/(?<!\\)\|/).length).toBe(9)
  })

  it('stays under 65,000 characters for a plan of 5,000 steps with diffs, saying what it left out', () => {
    const components: Record<string, Component> = {}
    const recorded: Record<string, ReturnType<typeof running>> = {}
    for (let i = 0; i < 5000; i++) {
      const name = `component-${String(i).padStart(4, '0')}`
      const before = component({env: {LEVEL: 'info', PORT: String(i)}, priority: i % 10})
      components[name] = {...before, env: {LEVEL: 'debug', PORT: String(i + 1)}}
      recorded[name] = running(before, 10_000 + i)
    }
    const p = plan({components, state: state(recorded)})
    expect(p.steps).toHaveLength(5000)
    const md = renderPlanMarkdown(p)
    expect(md.length).toBeLessThan(MARKDOWN_LIMIT)
    expect(MARKDOWN_LIMIT).toBeLessThanOrEqual(65_000)
    const rows = md.split('\n').filter((l) => l.startsWith('| 🟡')).length
    expect(rows).toBeGreaterThan(100)
    expect(rows).toBeLessThan(5000)
    const detailed = md.split('\n').filter((l) => l.startsWith('<details>')).length
    expect(detailed).toBeGreaterThan(10)
    expect(md).toContain(`Left out to stay under 65,000 characters: ${5000 - rows} of 5000 steps and the field changes of ${rows - detailed} steps.`)
    expect(md).toContain('**5000 steps:** 5000 to restart.')
  })

  it('counts the field changes of a step too large to list', () => {
    const before = component({env: Object.fromEntries(Array.from({length: 80}, (_, i) => [`V${i}`, 'a']))})
    const after = component({env: Object.fromEntries(Array.from({length: 80}, (_, i) => [`V${i}`, 'b']))})
    const md = renderPlanMarkdown(plan({components: {web: after}, state: state({web: running(before, 5)})}))
    expect(md).toContain('… and 30 more field changes')
  })
})

describe('renderPlan', () => {
  it('json is the plan itself', () => {
    const p = everyAction()
    const json = renderPlan(p, 'json', palette(true))
    expect(JSON.parse(json)).toEqual(p)
    expect(json).not.toContain(ESC)
  })

  it('text and markdown are the views above', () => {
    const p = everyAction()
    expect(renderPlan(p, 'text', plain)).toBe(renderPlanText(p, plain))
    expect(renderPlan(p, 'markdown', palette(true))).toBe(renderPlanMarkdown(p))
  })
})

describe('a change step', () => {
  it('renders with its batches in both views', () => {
    const migrate = change({targets: [{name: 'a'}, {name: 'b'}], serial: 'all'})
    const p = plan({changes: {migrate}, state: state({}, {migrate: ran(change(), 'success')})})
    expect(renderPlanText(p, plain)).toContain('      batches: [a, b]\n')
    expect(renderPlanMarkdown(p)).toContain('batches: [a, b]')
  })
})

describe('an empty destroy plan', () => {
  it('says there is nothing to stop', () => {
    const p = plan({options: {destroy: true}})
    expect(renderPlanText(p, plain)).toBe('No changes. compctl manages nothing here, so there is nothing to stop.\n')
    expect(renderPlanMarkdown(p)).toContain('No changes. compctl manages nothing here, so there is nothing to stop.\n')
  })
})

describe('state text (show without a plan file)', () => {
  it('says when nothing was applied yet', () => {
    expect(renderStateText(null, '/srv/state/compctl.state.json')).toBe('No state at /srv/state/compctl.state.json: nothing has been applied yet.\n')
  })

  it('lists each component and change with what was recorded', () => {
    const recorded = state(
      {
        web: running(component(), 42),
        db: running(component(), 7, {status: 'failed', pid: null, lastError: 'exited 1', pending: {action: 'start', stepId: 'start.db', since: 'T0'}}),
      },
      {migrate: ran(change({targets: [{name: 'ns1'}, {name: 'ns2'}]}), 'failed')},
    )
    expect(renderStateText(recorded, 'S')).toBe(
      [
        'State S (lineage lineage-1, serial 3)',
        '',
        '  component db: failed, last error: exited 1  (interrupted: start since T0)',
        '  component web: running, pid 42',
        '  change migrate: failed (ns1 failed, ns2 failed)',
        '',
      ].join('\n'),
    )
  })
})

describe('a move in every view', () => {
  const auth = component()
  const planInput = input({components: {auth: component({command: ['sleep', '2000']})}, state: state({authd: running(auth, 40)})})
  planInput.spec.moved = [{from: 'authd', to: 'auth'}]
  const moving = buildPlan(planInput)

  it('text shows → move FROM to TO first and counts it in the summary', () => {
    const text = renderPlanText(moving, plain)
    expect(text).toContain('  → move authd to auth\n      authd is now auth (moved[0] in the file)')
    expect(text.indexOf('→ move authd to auth')).toBeLessThan(text.indexOf('~ restart auth'))
    expect(text).toContain('Plan: 1 to move, 1 to restart.')
  })

  it('markdown names both names in the row', () => {
    expect(renderPlanMarkdown(moving)).toContain('| ➡️ | move `authd` to `auth` |')
  })
})
