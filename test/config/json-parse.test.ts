import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseJson} from '../../src/config/json.js'
import {loadConfig} from '../../src/config/load.js'
import {locateOffset} from '../../src/config/locate.js'
import {ROOT, tempProject} from '../helpers/cli.js'

/** A small deterministic PRNG, so a failure names the same input every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STRING_PARTS = ['a', 'Z', ' ', 'é', '"', '\\', '\n', '\t', '\u0001', '\u2028', '😀', '/', 'key']

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 7))
  const text = () => Array.from({length: Math.floor(next() * 6)}, () => STRING_PARTS[Math.floor(next() * STRING_PARTS.length)]).join('')
  switch (pick) {
    case 0:
      return null
    case 1:
      return next() < 0.5
    case 2:
      return [0, -1, 1.5, 1e21, -2.5e-7, 123456789][Math.floor(next() * 6)]
    case 3:
    case 4:
      return text()
    case 5:
      return Array.from({length: Math.floor(next() * 4)}, () => randomValue(next, depth + 1))
    default: {
      const out: Record<string, unknown> = {}
      for (let i = Math.floor(next() * 4); i > 0; i--) out[text() + i] = randomValue(next, depth + 1)
      return out
    }
  }
}

describe('parseJson: strict JSON, as JSON.parse reads it, plus duplicate keys and positions', () => {
  it('reads what JSON.stringify writes, compact and indented', () => {
    const next = random(1)
    for (let i = 0; i < 500; i++) {
      const value = {root: randomValue(next, 0)}
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2), JSON.stringify(value, null, '\t')]) {
        const result = parseJson(text, i % 2 === 0)
        expect(result.ok, text).toBe(true)
        if (result.ok) expect(result.value).toEqual(JSON.parse(text))
      }
    }
  })

  it('accepts and refuses exactly what JSON.parse does, on mutated text (duplicate keys aside)', () => {
    const next = random(2)
    const junk = ['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', '.', 'e', 't', 'n', ' ', '\u0000', "'", '/']
    let refused = 0
    for (let i = 0; i < 3000; i++) {
      const text = JSON.stringify({a: randomValue(next, 0), b: [1, 'x', {c: null}]})
      const at = Math.floor(next() * text.length)
      const mutated = text.slice(0, at) + junk[Math.floor(next() * junk.length)] + text.slice(at + (next() < 0.5 ? 1 : 0))
      let native: {ok: true; value: unknown} | {ok: false}
      try {
        native = {ok: true, value: JSON.parse(mutated)}
      } catch {
        native = {ok: false}
      }
      const ours = parseJson(mutated, false)
      if (!ours.ok && /duplicate key/.test(ours.message)) continue
      expect(ours.ok, mutated).toBe(native.ok)
      if (ours.ok && native.ok) expect(ours.value).toEqual(native.value)
      if (!ours.ok) {
        refused++
        expect(ours.offset).toBeGreaterThanOrEqual(0)
        expect(ours.offset).toBeLessThanOrEqual(mutated.length)
      }
    }
    expect(refused).toBeGreaterThan(1000)
  })

  it('refuses a duplicate key, at the second one, naming its path and where the first is', () => {
    const text = '{\n  "a": {\n    "b": 1,\n    "b": 2\n  }\n}'
    const result = parseJson(text, false)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.message).toContain('duplicate key "b"')
      expect(result.offset).toBe(text.lastIndexOf('"b"'))
      expect(result.firstOffset).toBe(text.indexOf('"b"'))
      expect(result.path).toEqual(['a', 'b'])
    }
  })

  it('keeps "__proto__" as a field instead of setting the prototype', () => {
    const result = parseJson('{"__proto__": {"polluted": true}}', false)
    expect(result.ok).toBe(true)
    if (result.ok) {
      const value = result.value as Record<string, unknown>
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
      expect(Object.hasOwn(value, '__proto__')).toBe(true)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
  })

  it('skips a byte order mark', () => {
    expect(parseJson('\uFEFF{"version": 1}', false)).toMatchObject({ok: true, value: {version: 1}})
  })

  it('records where each key and value starts', () => {
    const text = '{\n  "components": {\n    "web": {"command": ["./web", 42]}\n  }\n}'
    const result = parseJson(text, true)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(locateOffset(result.root, ['components', 'web', 'command', 1])).toBe(text.indexOf('42'))
    expect(locateOffset(result.root, ['components', 'web'], true)).toBe(text.indexOf('"web"'))
    expect(locateOffset(result.root, ['components', 'web', 'missing'])).toBe(text.indexOf('{"command"'))
  })
})

describe('loadConfig reads a .json file as the same spec as its .yaml twin', () => {
  it('examples/dns', async () => {
    const yaml = await loadConfig(join(ROOT, 'examples/dns/compctl.yaml'))
    expect(yaml.ok).toBe(true)
    if (!yaml.ok) return
    const dir = tempProject()
    const file = join(dir, 'compctl.json')
    writeFileSync(file, JSON.stringify(yaml.config.spec, null, 2))
    const json = await loadConfig(file)
    expect(json.ok).toBe(true)
    if (json.ok) expect(json.config.spec).toEqual(yaml.config.spec)
  })
})
