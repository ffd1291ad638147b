// Generates large desired-state files for bench/plan.mjs: components in layers, each depending
// on 1–3 components of the layer before, with varied priorities, some env/ready/lock, and a few
// changes. Seeded, so every run plans the same file.

/** A small deterministic PRNG (mulberry32): the same seed gives the same file. */
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A desired-state file (as a plain object) with `count` components. */
export function generateSpec(count, {seed = 42, layerSize = 100} = {}) {
  const next = random(seed)
  const pick = (n) => Math.floor(next() * n)
  const kinds = ['core', 'needed', 'dispensable']
  const components = {}
  const names = []
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / layerSize)
    const name = `c${String(i).padStart(6, '0')}`
    const component = {
      kind: kinds[pick(3)],
      priority: pick(400) - 100,
      command: ['/usr/bin/env', 'sleep', String(1000 + pick(1000))],
    }
    if (layer > 0) {
      const previous = names.slice((layer - 1) * layerSize, layer * layerSize)
      const deps = new Set()
      const want = 1 + pick(3)
      while (deps.size < want) deps.add(previous[pick(previous.length)])
      component.dependsOn = [...deps].sort()
    }
    if (next() < 0.3) component.env = {LOG_LEVEL: ['info', 'debug', 'warn'][pick(3)], PORT: String(10000 + i)}
    if (next() < 0.3) component.ready = next() < 0.5 ? {tcp: `127.0.0.1:${10000 + (i % 50000)}`, timeout: '5s'} : {after: '200ms'}
    if (next() < 0.1) component.lock = `pool${pick(4)}`
    if (next() < 0.1) component.stop = {signal: 'SIGTERM', timeout: '5s'}
    components[name] = component
    names.push(name)
  }
  const changes = {}
  const changeCount = Math.max(3, Math.floor(count / 1000))
  for (let j = 0; j < changeCount; j++) {
    changes[`migrate-${j}`] = {
      targets: [
        {name: 'a', vars: {host: `a${j}.example`}},
        {name: 'b', vars: {host: `b${j}.example`}},
      ],
      dependsOn: [names[pick(Math.min(names.length, layerSize))]],
      lock: 'pool0',
      check: {run: [['test', '-n', '${host}']]},
      apply: {run: [['echo', 'migrate', '${host}']], expect: {exitCode: 0, stdout: 'migrate'}},
      backout: [{run: [['echo', 'undo', '${host}']]}],
    }
  }
  const locks = {pool0: {holders: 1}, pool1: {holders: 2}, pool2: {holders: 4}, pool3: {holders: 1}}
  return {version: 1, project: 'bench', settings: {stateDir: 'state'}, locks, components, changes}
}
