import {describe, expect, it} from 'vitest'
import {listGet, listOf, listSet, listToArray} from '../../../src/views/ink/immutable-list.js'

describe('ImmutableList', () => {
  for (const size of [0, 1, 31, 32, 33, 1024, 1025, 40_000]) {
    it(`holds ${size} items in order and sets one without changing the original`, () => {
      const items = Array.from({length: size}, (_, i) => i)
      const list = listOf(items)
      expect(list.size).toBe(size)
      expect(listToArray(list)).toEqual(items)
      for (const i of [0, size - 1, Math.floor(size / 2)]) expect(listGet(list, i)).toBe(items[i])
      expect(listGet(list, size)).toBeUndefined()
      if (size === 0) return expect(() => listSet(list, 0, 1)).toThrow(RangeError)
      const last = size - 1
      const changed = listSet(list, last, -1)
      expect(listGet(changed, last)).toBe(-1)
      expect(listGet(list, last)).toBe(last)
      expect(listToArray(changed)).toEqual([...items.slice(0, last), -1])
    })
  }

  it('shares every untouched node with the original (a set copies one path)', () => {
    const list = listOf(Array.from({length: 2048}, (_, i) => i))
    const changed = listSet(list, 5, -5)
    const shared = list.root.filter((node, i) => changed.root[i] === node).length
    expect(shared).toBe(list.root.length - 1)
  })
})
