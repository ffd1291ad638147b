import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {StateJournal} from '../../src/state/journal.js'
import {FileStateStore, newState} from '../../src/state/store.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function journal() {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-journal-'))
  dirs.push(dir)
  const store = new FileStateStore(dir)
  return {store, journal: new StateJournal(store, newState('test')), file: join(dir, 'compctl.state.json')}
}

describe('StateJournal', () => {
  it('makes each update durable before it resolves', async () => {
    const {journal: j, file} = journal()
    await j.update((s) => {
      s.changes.one = {spec: {apply: {run: ['true']}}, specHash: 'h1', status: 'running', targets: {}}
    })
    expect(JSON.parse(readFileSync(file, 'utf8')).changes.one.specHash).toBe('h1')
  })

  it('shares writes between updates that arrive together, and loses none of them', async () => {
    const {journal: j, file, store} = journal()
    const updates = Array.from({length: 50}, (_, i) =>
      j.update((s) => {
        s.changes[`c${i}`] = {spec: {apply: {run: ['true']}}, specHash: `h${i}`, status: 'success', targets: {}}
      }),
    )
    await Promise.all(updates)
    const written = JSON.parse(readFileSync(file, 'utf8'))
    expect(Object.keys(written.changes)).toHaveLength(50)
    expect(written.serial).toBeLessThan(50)
    expect(written.serial).toBe(j.current.serial)
    expect((await store.read())!.serial).toBe(written.serial)
  })

  it('an update made while a write is under way is in the next write', async () => {
    const {journal: j, file} = journal()
    const first = j.update((s) => {
      s.changes.a = {spec: {apply: {run: ['true']}}, specHash: 'a', status: 'success', targets: {}}
    })
    const second = j.update((s) => {
      s.changes.b = {spec: {apply: {run: ['true']}}, specHash: 'b', status: 'success', targets: {}}
    })
    await first
    await second
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).changes).sort()).toEqual(['a', 'b'])
  })
})
