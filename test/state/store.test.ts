import {spawn, spawnSync} from 'node:child_process'
import {once} from 'node:events'
import {existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import validateState from '../../src/model/generated/validate-state.js'
import {FileStateStore, newState, STATE_FILE} from '../../src/state/store.js'
import {bundleForChild} from '../helpers/bundle.js'
import {ROOT} from '../helpers/cli.js'
import {textOf, userError, withComponent} from '../helpers/state.js'

/*
 * The states written here record made-up pids. They live in folders of this file's own, never in
 * a tempProject(): its clean-up kills the process group of every pid recorded there. The made-up
 * pids are above the kernel's pid_max, so no signal could ever reach a process through them.
 */
const folders: string[] = []
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'compctl-store-'))
  folders.push(dir)
  return join(dir, 'state')
}
const groups = new Set<number>()
afterEach(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {}
  }
  groups.clear()
  for (const dir of folders.splice(0)) rmSync(dir, {recursive: true, force: true})
})

describe('FileStateStore', () => {
  it('reads null when there is no state yet', async () => {
    expect(await new FileStateStore(stateDir()).read()).toBeNull()
  })

  it('writes atomically: the file parses, matches the schema, and no temporary file is left', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    const written = await store.write(withComponent(newState('dns'), 'msgq', 42))
    expect(readdirSync(dir)).toEqual([STATE_FILE])
    const onDisk = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'))
    expect(validateState(onDisk)).toBe(true)
    expect(onDisk).toEqual(written)
    expect(await new FileStateStore(dir).read()).toEqual(written)
  })

  it('increments the serial on every write and keeps the lineage', async () => {
    const store = new FileStateStore(stateDir())
    const first = newState('dns')
    let state = first
    const serials: number[] = []
    for (let i = 0; i < 3; i++) {
      state = await store.write(withComponent(state, `c${i}`, 100 + i))
      serials.push(state.serial)
    }
    expect(serials).toEqual([1, 2, 3])
    const read = (await store.read())!
    expect(read.serial).toBe(3)
    expect(read.lineage).toBe(first.lineage)
    expect(Object.keys(read.components)).toEqual(['c0', 'c1', 'c2'])
  })

  it('keeps the version it replaces as compctl.state.json.backup', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    const one = await store.write(withComponent(newState('dns'), 'a', 1))
    expect(existsSync(store.backup)).toBe(false)
    const two = await store.write(withComponent(one, 'b', 2))
    expect(JSON.parse(readFileSync(store.backup, 'utf8'))).toEqual(one)
    await new FileStateStore(dir).write(withComponent(two, 'c', 3))
    expect(JSON.parse(readFileSync(store.backup, 'utf8'))).toEqual(two)
    expect(readdirSync(dir).sort()).toEqual([STATE_FILE, `${STATE_FILE}.backup`])
  })

  it('runs writes that overlap one after another, losing none', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    const base = newState('dns')
    const results = await Promise.all(Array.from({length: 20}, (_, i) => store.write({...withComponent(base, `c${i}`, i + 1), serial: i})))
    expect(results.map((r) => r.serial)).toEqual(Array.from({length: 20}, (_, i) => i + 1))
    expect((await store.read())!.components).toHaveProperty('c19')
    expect(readdirSync(dir).sort()).toEqual([STATE_FILE, `${STATE_FILE}.backup`])
  })

  it('removes the temporary files of a writer that died, on its next write', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    await store.write(newState('dns'))
    const gone = spawnSync('true').pid!
    writeFileSync(join(dir, `${STATE_FILE}.tmp-${gone}-0badf00d`), '{"half": ')
    writeFileSync(join(dir, `${STATE_FILE}.tmp-${process.pid}-feedface`), 'a live writer: kept')
    await new FileStateStore(dir).write(newState('dns'))
    expect(readdirSync(dir).sort()).toEqual([STATE_FILE, `${STATE_FILE}.backup`, `${STATE_FILE}.tmp-${process.pid}-feedface`])
  })

  it('after a writer died between replacing the backup and the state, still keeps the previous version and leaves no temporary', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    const one = await store.write(withComponent(newState('dns'), 'a', 1))
    // Where that writer stopped, the backup and the state are two names of one file.
    rmSync(store.backup, {force: true})
    linkSync(store.location, store.backup)
    await new FileStateStore(dir).write(withComponent(one, 'b', 2))
    expect(JSON.parse(readFileSync(store.backup, 'utf8'))).toEqual(one)
    expect(readdirSync(dir).sort()).toEqual([STATE_FILE, `${STATE_FILE}.backup`])
  })

  it('reports a state that is not JSON as corrupt, naming the backup to recover from', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    const good = await store.write(newState('dns'))
    await store.write(good)
    writeFileSync(store.location, '{"version": 1, "lineage": ')
    const error = await userError(store.read())
    expect(error.lines[0]).toMatch(new RegExp(`^${store.location}: the state file is corrupt: not JSON`))
    expect(textOf(error)).toContain(`${store.location}.backup`)
    expect(error.hint).toMatch(/copy it over/)
  })

  it('reports a state that does not match the schema as corrupt, naming where the backup would be', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    await store.write(newState('dns'))
    writeFileSync(store.location, JSON.stringify({version: 1, lineage: 'x', serial: -1, components: {}, changes: {}}))
    const error = await userError(store.read())
    expect(error.lines[0]).toBe(`${store.location}: the state file is corrupt: /serial must be >= 0`)
    expect(textOf(error)).toContain(`${store.location}.backup does not exist`)
  })

  it('never touches a corrupt state when reading it', async () => {
    const dir = stateDir()
    const store = new FileStateStore(dir)
    await store.write(newState('dns'))
    writeFileSync(store.location, 'garbage')
    await userError(store.read())
    expect(readFileSync(store.location, 'utf8')).toBe('garbage')
  })
})

/*
 * A writer killed mid-write: a real process runs the real store (bundled with esbuild, since a
 * child Node cannot load the TypeScript sources) and rewrites a large state in a loop.
 */
const WRITER = `
import {FileStateStore, newState} from './store.js'
const store = new FileStateStore(process.argv[2])
let state = (await store.read()) ?? newState('killed')
const components = {}
// Large enough that a write takes a while, so kills land inside one.
for (let i = 0; i < 4000; i++)
  components['component-' + i] = {spec: {command: ['sleep', String(i)], env: {N: String(i)}}, specHash: 'sha256:' + i, status: 'running', pid: 5000000 + i, startTime: i}
state = {...state, components}
// One whole write first: a kill before it would rightly leave no state at all.
state = await store.write(state)
process.stdout.write('ready\\n')
for (;;) state = await store.write(state)
`

describe('a writer killed at random moments', () => {
  let driverDir: string
  let writerPath: string

  beforeAll(async () => {
    driverDir = mkdtempSync(join(tmpdir(), 'compctl-store-writer-'))
    writerPath = join(driverDir, 'writer.mjs')
    await bundleForChild(writerPath, {contents: WRITER, resolveDir: join(ROOT, 'src/state')})
  })

  afterAll(() => rmSync(driverDir, {recursive: true, force: true}))

  it('always leaves a whole, valid state file', async () => {
    const dir = stateDir()
    const serials: number[] = []
    for (let round = 0; round < 10; round++) {
      const child = spawn(process.execPath, [writerPath, dir], {detached: true, stdio: ['ignore', 'pipe', 'inherit']})
      groups.add(child.pid!)
      await once(child.stdout!, 'data')
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250))
      const exited = once(child, 'exit')
      process.kill(-child.pid!, 'SIGKILL')
      await exited
      const state = await new FileStateStore(dir).read()
      expect(state).not.toBeNull()
      expect(Object.keys(state!.components)).toHaveLength(4000)
      serials.push(state!.serial)
    }
    expect(serials).toEqual([...serials].sort((a, b) => a - b))
    expect(serials.at(-1)!).toBeGreaterThan(10)
    // The next writer clears what the killed ones left half-written.
    await new FileStateStore(dir).write((await new FileStateStore(dir).read())!)
    expect(readdirSync(dir).sort()).toEqual([STATE_FILE, `${STATE_FILE}.backup`])
  })
})
