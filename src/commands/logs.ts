import {createReadStream, watch, type FSWatcher} from 'node:fs'
import {open, readdir, stat} from 'node:fs/promises'
import {once} from 'node:events'
import {basename, dirname, join} from 'node:path'
import {Args, Flags} from '@oclif/core'
import type {LoadedConfig} from '../config/load.js'
import {UserError} from '../errors.js'
import type {CompctlState} from '../model/generated/state.js'
import {BaseCommand, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'

/** fs.watch misses events on some file systems (network, overlay): look anyway this often. */
const FOLLOW_POLL_MS = 1000
const TAIL_CHUNK = 64 * 1024
const NEWLINE = 0x0a

/** One log file to print; `label` is the `==> label <==` header (a change's target), null for a component. */
interface LogSource {
  label: string | null
  path: string
}

interface LogSet {
  what: 'component' | 'change'
  /** Where the logs live, for messages. */
  location: string
  sources: LogSource[]
}

/** Where a reader stands in one file: bytes printed so far, and which file (inode) they came from. */
interface Position {
  offset: number
  inode: number | null
}

export default class Logs extends BaseCommand {
  static override summary = "Print a component's log, or each target's log of a change."
  static override description =
    'A component logs to <stateDir>/logs/NAME.log; a change to <stateDir>/logs/changes/NAME/TARGET.log, printed one target after another under a `==> TARGET <==` header. --follow keeps printing as they grow (like tail -f) until Ctrl-C.'
  static override examples = ['<%= config.bin %> logs msgq', '<%= config.bin %> logs msgq -n 50 --follow', '<%= config.bin %> logs add-operator -n 20']

  static override args = {
    name: Args.string({description: 'A component or change, in the file or in the state.', required: true}),
  }

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    lines: Flags.integer({char: 'n', summary: 'Print only the last LINES lines of each log (default: all).', min: 0, helpValue: 'LINES'}),
    follow: Flags.boolean({summary: 'Keep printing what is written to the log, until Ctrl-C.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    const [{loadConfigOrThrow}, {readState}] = await Promise.all([import('../config/load.js'), import('../state/open.js')])
    const config = await loadConfigOrThrow(flags.file)
    const {state} = await readState(config, stateOptions(flags))
    const set = await logSet(config, state, args.name)
    const printer = new LogPrinter(set.sources.length > 1 || set.what === 'change')
    const positions = new Map<string, Position>()
    let printedAny = false
    for (const source of set.sources) {
      const printed = await printer.printInitial(source, flags.lines)
      positions.set(source.path, printed ?? {offset: 0, inode: null})
      if (printed) printedAny = true
    }
    if (!printedAny) {
      const why = set.what === 'component' ? `${set.location} does not exist: it has not been started` : `nothing in ${set.location}: it has not run`
      this.note(`${args.name} has no log yet (${why}).${flags.follow ? ' Waiting for it.' : ''}`)
    }
    if (flags.follow) await printer.follow(set.sources, positions)
  }
}

/** The log files of NAME: a component's one file, or one per target of a change. */
async function logSet(config: LoadedConfig, state: CompctlState | null, name: string): Promise<LogSet> {
  const logDir = join(config.stateDir, 'logs')
  const fileChange = config.spec.changes?.[name]
  const isComponent = config.spec.components?.[name] !== undefined || (fileChange === undefined && state?.components[name] !== undefined)
  if (isComponent) {
    const path = join(logDir, `${name}.log`)
    return {what: 'component', location: path, sources: [{label: null, path}]}
  }
  if (fileChange === undefined && state?.changes[name] === undefined) {
    const known = [...Object.keys(config.spec.components ?? {}), ...Object.keys(config.spec.changes ?? {})].sort()
    throw new UserError(`${name}: no component or change is called that in ${config.file} or its state.`, {
      hint: known.length > 0 ? `Known names: ${known.join(', ')}.` : `${config.file} declares no components or changes.`,
    })
  }
  const dir = join(logDir, 'changes', name)
  const declared = (fileChange?.targets ?? (fileChange ? [{name: 'local'}] : [])).map((t) => t.name)
  const recorded = Object.keys(state?.changes[name]?.targets ?? {}).sort()
  // Logs of targets since removed from the file are still worth showing.
  const onDisk = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort()
  const targets = [...new Set([...declared, ...recorded, ...onDisk])]
  return {what: 'change', location: dir, sources: targets.map((target) => ({label: target, path: join(dir, `${target}.log`)}))}
}

/** Writes logs to stdout, with a header whenever the output moves to another file (as tail does). */
class LogPrinter {
  private lastLabel: string | null = null
  private headersPrinted = 0

  constructor(private readonly withHeaders: boolean) {}

  /** Prints the file (or its last `lines` lines); returns where it stopped, or null when it does not exist. */
  async printInitial(source: LogSource, lines: number | undefined): Promise<Position | null> {
    const info = await stat(source.path).catch(() => null)
    if (info === null || !info.isFile()) return null
    const start = lines === undefined ? 0 : await tailStart(source.path, info.size, lines)
    this.header(source)
    await this.copy(source.path, start, info.size)
    return {offset: info.size, inode: info.ino}
  }

  /** Prints what is appended to the files until SIGINT or SIGTERM. */
  async follow(sources: LogSource[], positions: Map<string, Position>): Promise<void> {
    const pumps = new Map<string, Promise<void>>()
    const pump = (source: LogSource) => {
      const next = (pumps.get(source.path) ?? Promise.resolve()).then(() => this.catchUp(source, positions.get(source.path)!))
      pumps.set(source.path, next)
      return next
    }
    const byFile = new Map(sources.map((s) => [basename(s.path), s]))
    const watchers: FSWatcher[] = []
    for (const dir of new Set(sources.map((s) => dirname(s.path)))) {
      try {
        const watcher = watch(dir, (_event, filename) => {
          const source = filename === null ? undefined : byFile.get(filename.toString())
          if (source) void pump(source)
          else if (filename === null) for (const s of sources) void pump(s)
        })
        watcher.on('error', () => {})
        watchers.push(watcher)
      } catch {
        // The folder does not exist yet (nothing has run): the poll finds the file once it appears.
      }
    }
    const poll = setInterval(() => sources.forEach((s) => void pump(s)), FOLLOW_POLL_MS)
    let stop = () => {}
    const stopped = new Promise<void>((resolve) => (stop = resolve))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    // Anything written between the first print and the watchers starting.
    for (const source of sources) void pump(source)
    await stopped
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    clearInterval(poll)
    for (const watcher of watchers) watcher.close()
    await Promise.all(pumps.values())
    process.exitCode = 0
  }

  /** Prints what the file gained since `position`, starting over when it was truncated or replaced. */
  private async catchUp(source: LogSource, position: Position): Promise<void> {
    const info = await stat(source.path).catch(() => null)
    if (info === null || !info.isFile()) return
    if (position.inode !== null && info.ino !== position.inode) {
      process.stderr.write(`compctl: ${source.path} was replaced; following the new file\n`)
      position.offset = 0
    } else if (info.size < position.offset) {
      process.stderr.write(`compctl: ${source.path} was truncated; following from its start\n`)
      position.offset = 0
    }
    position.inode = info.ino
    if (info.size <= position.offset) return
    const start = position.offset
    position.offset = info.size
    this.header(source)
    await this.copy(source.path, start, info.size)
  }

  private header(source: LogSource): void {
    if (!this.withHeaders || source.label === this.lastLabel) return
    process.stdout.write(`${this.headersPrinted > 0 ? '\n' : ''}==> ${source.label} <==\n`)
    this.headersPrinted++
    this.lastLabel = source.label
  }

  /** Copies bytes [start, end) of the file to stdout, minding back-pressure. */
  private async copy(path: string, start: number, end: number): Promise<void> {
    if (end <= start) return
    for await (const chunk of createReadStream(path, {start, end: end - 1})) {
      if (!process.stdout.write(chunk as Buffer)) await once(process.stdout, 'drain')
    }
  }
}

/** The byte offset where the last `lines` lines of the file's first `size` bytes begin; reads backwards, so a huge log costs little. */
async function tailStart(path: string, size: number, lines: number): Promise<number> {
  if (lines === 0 || size === 0) return size
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(TAIL_CHUNK)
    let found = 0
    let position = size
    while (position > 0) {
      const length = Math.min(TAIL_CHUNK, position)
      position -= length
      await handle.read(buffer, 0, length, position)
      for (let i = length - 1; i >= 0; i--) {
        // The file's final newline ends its last line; it does not begin another.
        if (buffer[i] !== NEWLINE || position + i === size - 1) continue
        if (++found === lines) return position + i + 1
      }
    }
    return 0
  } finally {
    await handle.close()
  }
}
