import {spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {entryName, jsonExact, MAX_ENTRIES} from '../../src/config/parse-cache.js'
import {compctl, mkfifo, tempProject} from '../helpers/cli.js'
import {describeAsRoot, useTestUser} from '../safety/helpers.js'

/*
 * src/config/parse-cache.ts, through the CLI (the cache is on only in a build, which gives it its
 * identity). Each test has its own cache folder (XDG_CACHE_HOME), so its entries are its own.
 */

const FILE = 'version: 1\nproject: from-file\ncomponents:\n  web: {command: [sleep, "60"]}\n'

/** A project with FILE and its own cache folder. */
function setup(text = FILE) {
  const dir = tempProject()
  const file = join(dir, 'compctl.yaml')
  writeFileSync(file, text)
  const cache = join(dir, 'cache')
  const parsed = join(cache, 'compctl', 'parsed')
  const entry = join(parsed, entryName(file))
  const run = (args: string[], env: Record<string, string> = {}) => compctl(args, {cwd: dir, env: {XDG_CACHE_HOME: cache, ...env}})
  /** The project `plan --json` plans for: "from-file" when the file was parsed, what an entry says when one was used. */
  const plannedProject = (env: Record<string, string> = {}): string => {
    const result = run(['plan', '--json'], env)
    expect(result.code, result.stderr).toBe(0)
    return (JSON.parse(result.stdout) as {project: string}).project
  }
  return {dir, file, cache, parsed, entry, run, plannedProject}
}

/** Rewrites the entry as a same-build entry for the same text whose data names another project: used, it shows. */
function tamper(entry: string, change: (kept: {build: string; path: string; text: string; data: {project: string}; warnings: unknown[]}) => void = () => {}): void {
  const kept = JSON.parse(readFileSync(entry, 'utf8'))
  kept.data.project = 'from-cache'
  change(kept)
  writeFileSync(entry, JSON.stringify(kept))
}

describe('the parse cache (src/config/parse-cache.ts)', () => {
  it("keeps a valid YAML file's data, with its exact text, and uses it while the file's text is the same", () => {
    const project = setup()
    expect(project.run(['validate']).code).toBe(0)
    const kept = JSON.parse(readFileSync(project.entry, 'utf8'))
    expect(kept).toMatchObject({path: project.file, text: FILE, data: {version: 1, project: 'from-file'}})
    expect(kept.build).toMatch(/^[0-9a-f]{32}$/)

    tamper(project.entry)
    expect(project.plannedProject()).toBe('from-cache')

    // One byte more (a comment) is another text: parsed again, and kept anew.
    writeFileSync(project.file, FILE + '#\n')
    expect(project.plannedProject()).toBe('from-file')
    expect(JSON.parse(readFileSync(project.entry, 'utf8')).text).toBe(FILE + '#\n')
  })

  it("is not used for another build's entry or another path's, and keeps no invalid file", () => {
    const project = setup()
    expect(project.run(['validate']).code).toBe(0)
    tamper(project.entry, (kept) => (kept.build = '0'.repeat(32)))
    expect(project.plannedProject()).toBe('from-file')
    tamper(project.entry, (kept) => (kept.path = project.file + '.other'))
    expect(project.plannedProject()).toBe('from-file')

    const invalid = setup('version: 1\ncomponents:\n  web: {command: 7}\n')
    expect(invalid.run(['validate']).code).toBe(1)
    expect(existsSync(invalid.parsed) ? readdirSync(invalid.parsed) : []).toEqual([])
  })

  it('keeps a JSON file too', () => {
    const project = setup()
    const file = join(project.dir, 'compctl.json')
    const text = JSON.stringify({version: 1, project: 'from-file', components: {}})
    writeFileSync(file, text)
    expect(project.run(['validate', '-f', 'compctl.json']).code).toBe(0)
    const entry = join(project.parsed, entryName(file))
    expect(JSON.parse(readFileSync(entry, 'utf8'))).toMatchObject({path: file, text, data: {project: 'from-file'}})
    tamper(entry)
    expect(JSON.parse(project.run(['plan', '--json', '-f', 'compctl.json']).stdout).project).toBe('from-cache')
  })

  it("keeps a file's warnings, located, with its data: a run that reads the entry does not check the file again", () => {
    const project = setup('version: 1\nproject: warn\nvariables:\n  who: {default: world}\ncomponents:\n  greet:\n    command: [sh, -c, "echo ${var.who}; exec sleep 60"]\n')
    const first = project.run(['validate'])
    expect(first.code).toBe(0)
    expect(first.stderr).toMatch(/compctl\.yaml:7:\d+: .*pasted into the script sh runs/)
    expect(JSON.parse(readFileSync(project.entry, 'utf8')).warnings).toEqual([expect.objectContaining({line: 7, severity: 'warning', path: 'components.greet.command[2]'})])
    expect(project.run(['validate']).stderr).toBe(first.stderr)
    // Named another way on the command line, the file is named that way in the warning.
    expect(project.run(['validate', '-f', project.file]).stderr).toContain(`${project.file}:7:`)

    const kept = JSON.parse(readFileSync(project.entry, 'utf8'))
    kept.warnings[0].message = 'the warning as kept'
    writeFileSync(project.entry, JSON.stringify(kept))
    expect(project.run(['validate']).stderr).toContain('compctl.yaml:7:')
    expect(project.run(['validate']).stderr).toContain('the warning as kept')
  })

  it('is off where the cache folder is a relative path', () => {
    const project = setup()
    expect(project.run(['validate'], {COMPCTL_CACHE_DIR: 'relative-cache'}).code).toBe(0)
    expect(readdirSync(project.dir).sort()).toEqual(['compctl.yaml'])
  })

  it('COMPCTL_PARSE_CACHE=0 neither reads nor writes it', () => {
    const project = setup()
    expect(project.run(['validate'], {COMPCTL_PARSE_CACHE: '0'}).code).toBe(0)
    expect(existsSync(project.parsed)).toBe(false)
    expect(project.run(['validate']).code).toBe(0)
    tamper(project.entry)
    expect(project.plannedProject({COMPCTL_PARSE_CACHE: '0'})).toBe('from-file')
    expect(project.plannedProject()).toBe('from-cache')
  })

  it('keeps at most MAX_ENTRIES entries, removing the oldest and the temporaries a killed run left, and nothing else', () => {
    const project = setup()
    mkdirSync(project.parsed, {recursive: true, mode: 0o700})
    const old = (name: string, secondsAgo: number) => {
      writeFileSync(join(project.parsed, name), '{}', {mode: 0o600})
      const at = Date.now() / 1000 - secondsAgo
      utimesSync(join(project.parsed, name), at, at)
    }
    // Full already: the oldest of these goes when the new entry comes.
    for (let i = 0; i < MAX_ENTRIES; i++) old(`${i.toString(16).padStart(16, '0')}.json`, 1000 - i)
    old('0000000000000000.json.tmp-999999', 120)
    old('0000000000000001.json.tmp-999998', 1)
    old('notes.txt', 5000)
    expect(project.run(['validate']).code).toBe(0)
    const left = readdirSync(project.parsed).sort()
    expect(left.filter((name) => name.endsWith('.json'))).toHaveLength(MAX_ENTRIES)
    expect(left).toContain(entryName(project.file))
    expect(left).not.toContain('0000000000000000.json')
    expect(left).toContain('0000000000000001.json')
    expect(left).not.toContain('0000000000000000.json.tmp-999999')
    expect(left).toContain('0000000000000001.json.tmp-999998')
    expect(left).toContain('notes.txt')
  })

  it('never follows a symlink planted at an entry, nor writes through it, and does not hang on a FIFO there', () => {
    const project = setup()
    expect(project.run(['validate']).code).toBe(0)
    tamper(project.entry)
    const elsewhere = join(project.dir, 'planted.json')
    writeFileSync(elsewhere, readFileSync(project.entry), {mode: 0o600})
    const planted = readFileSync(elsewhere, 'utf8')
    spawnSync('rm', [project.entry])
    symlinkSync(elsewhere, project.entry)
    expect(project.plannedProject()).toBe('from-file')
    expect(readFileSync(elsewhere, 'utf8')).toBe(planted)
    // The link was replaced by an entry of its own (a rename never writes through a link).
    expect(lstatSync(project.entry).isSymbolicLink()).toBe(false)

    spawnSync('rm', [project.entry])
    mkfifo(project.entry)
    expect(project.plannedProject()).toBe('from-file')
  })

  it('neither reads nor writes below a folder others may write, nor through a symlink planted there', () => {
    const project = setup()
    // Others may write the cache's parent (not sticky, as /tmp is): they could swap what is below it.
    mkdirSync(project.cache, {mode: 0o700})
    chmodSync(project.cache, 0o777)
    expect(project.run(['validate']).code).toBe(0)
    expect(readdirSync(project.cache)).toEqual([])

    // A symlink planted there (by whoever may write it) leads elsewhere: compctl makes no folder
    // there and writes no entry.
    const elsewhere = join(project.dir, 'elsewhere')
    mkdirSync(elsewhere, {mode: 0o700})
    symlinkSync(elsewhere, join(project.cache, 'compctl'))
    expect(project.run(['validate']).code).toBe(0)
    expect(readdirSync(elsewhere)).toEqual([])

    // Nor is an entry there read: written while the parent was private, it is not used once others may write it.
    chmodSync(project.cache, 0o700)
    expect(project.run(['validate']).code).toBe(0)
    expect(readdirSync(join(elsewhere, 'parsed'))).toEqual([entryName(project.file)])
    tamper(join(elsewhere, 'parsed', entryName(project.file)))
    expect(project.plannedProject()).toBe('from-cache')
    chmodSync(project.cache, 0o777)
    expect(project.plannedProject()).toBe('from-file')
  })

  it('trusts no entry, nor folder, that others may write', () => {
    const project = setup()
    expect(project.run(['validate']).code).toBe(0)
    tamper(project.entry)
    chmodSync(project.entry, 0o666)
    expect(project.plannedProject()).toBe('from-file')

    tamper(project.entry)
    chmodSync(project.entry, 0o600)
    chmodSync(project.parsed, 0o777)
    expect(project.plannedProject()).toBe('from-file')
    // Nor written: the entry is still the planted one.
    expect(JSON.parse(readFileSync(project.entry, 'utf8')).data.project).toBe('from-cache')
  })
})

describeAsRoot('the parse cache against another user', () => {
  const attacker = useTestUser()

  it("uses no entry of another user's, and writes nothing into a folder of theirs", () => {
    const project = setup()
    expect(project.run(['validate']).code).toBe(0)
    tamper(project.entry)
    // An attacker's folder where compctl looks (a HOME or XDG_CACHE_HOME of theirs): their entry is
    // not used, and compctl writes nothing there.
    const {uid, gid} = attacker()
    for (const path of [project.cache, join(project.cache, 'compctl'), project.parsed, project.entry]) chownSync(path, uid, gid)
    expect(project.plannedProject()).toBe('from-file')
    expect(lstatSync(project.entry).uid).toBe(uid)
    expect(JSON.parse(readFileSync(project.entry, 'utf8')).data.project).toBe('from-cache')

    // Their entry in compctl's own folder is not used either.
    chownSync(project.parsed, 0, 0)
    expect(project.plannedProject()).toBe('from-file')
  })
})

describe('parse-cache helpers', () => {
  it('names an entry by the 64-bit FNV-1a hash of its path', () => {
    const fnv1a64 = (text: string): string => {
      let hash = 0xcbf29ce484222325n
      for (let at = 0; at < text.length; at++) hash = ((hash ^ BigInt(text.charCodeAt(at))) * 0x100000001b3n) & 0xffffffffffffffffn
      return hash.toString(16).padStart(16, '0') + '.json'
    }
    expect(entryName('a')).toBe('af63dc4c8601ec8c.json')
    for (const path of ['', '/tmp/x/compctl.yaml', '/srv/ü/файл.yaml', 'x'.repeat(300)]) expect(entryName(path)).toBe(fnv1a64(path))
  })

  it('keeps only data that JSON gives back exactly', () => {
    expect(jsonExact({a: [1, 'x', true, null, {b: -1.5}], c: {}})).toBe(true)
    const inexact = [Infinity, -Infinity, NaN, -0, undefined, 1n, new Date(0), new Map(), [1, undefined], {a: NaN}, JSON.parse('{"__proto__": 1}'), Object.create(null)]
    inexact.forEach((value, index) => expect(jsonExact(value), `value ${index}`).toBe(false))
  })
})
