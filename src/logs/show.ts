import {once} from 'node:events'
import {readdir} from 'node:fs/promises'
import type {LoadedConfig} from '../config/load.js'
import {UserError} from '../errors.js'
import type {CompctlState} from '../model/generated/state.js'
import type {Palette, Style} from '../util/colour.js'
import {LogReader, type LogSink, type LogSource} from './follow.js'
import {changeLogDir, changeTargetLogFile, componentLogFile, componentOfLogFile, logsDir} from './paths.js'
import {policyLookup, rotationSettingsOf} from './policy.js'
import {rotateLogs, type Rotated, type RotationFailure} from './rotate.js'

/** Without NAME, each component's last lines are shown, as `docker compose logs` does. */
const DEFAULT_LINES_ALL = 10
const NEWLINE = 0x0a
const NAME_STYLES: Style[] = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red']

export interface ShowLogsRequest {
  config: LoadedConfig
  state: CompctlState | null
  /** A component or change; every component when absent. */
  name?: string
  lines?: number
  follow: boolean
  palette: Palette
  onNote: (message: string) => void
  /** Resolves when following should stop (SIGINT, SIGTERM). */
  until: Promise<void>
}

/** `compctl logs [NAME]`: prints the logs, then with `follow` what they gain until `until`. */
export async function showLogs(request: ShowLogsRequest): Promise<void> {
  const {config, state, name} = request
  if (name === undefined) return showAll(request)
  const set = await logSet(config, state, name)
  const reader = new LogReader(set.what === 'change' || set.sources.length > 1 ? new HeadedSink() : new PlainSink())
  let printedAny = false
  for (const source of set.sources) if (await reader.printInitial(source, request.lines)) printedAny = true
  if (!printedAny) {
    const why = set.what === 'component' ? `${set.location} does not exist: it has not been started` : `nothing in ${set.location}: it has not run`
    request.onNote(`${name} has no log yet (${why}).${request.follow ? ' Waiting for it.' : ''}`)
  }
  if (request.follow) await reader.follow(async () => set.sources, request.until, false)
}

async function showAll(request: ShowLogsRequest): Promise<void> {
  const list = () => componentSources(request.config, request.state)
  const sources = await list()
  const sink = new PrefixedSink(request.palette, sources.map((s) => s.label))
  const reader = new LogReader(sink)
  for (const source of sources) await reader.printInitial(source, request.lines ?? DEFAULT_LINES_ALL)
  await sink.flush()
  if (sources.length === 0) request.onNote(`${request.config.file} declares no components, and none has a log in ${logsDir(request.config.stateDir)}.`)
  if (request.follow) await reader.follow(list, request.until, true)
}

/** `compctl logs --rotate`: every log past its maxSize is rotated now. */
export async function rotateNow(config: LoadedConfig): Promise<{rotated: Rotated[]; failed: RotationFailure[]}> {
  return rotateLogs(config.stateDir, policyLookup(rotationSettingsOf(config.spec)))
}

/** Every component's log: those in the file or the state, and any other NAME.log in the logs folder (a component since removed). */
async function componentSources(config: LoadedConfig, state: CompctlState | null): Promise<LogSource[]> {
  const onDisk = (await readdir(logsDir(config.stateDir)).catch(() => [] as string[])).map(componentOfLogFile).filter((n): n is string => n !== null)
  const names = new Set([...Object.keys(config.spec.components ?? {}), ...Object.keys(state?.components ?? {}), ...onDisk])
  return [...names].sort().map((label) => ({label, path: componentLogFile(config.stateDir, label)}))
}

interface LogSet {
  what: 'component' | 'change'
  /** Where the logs live, for messages. */
  location: string
  sources: LogSource[]
}

/** The log files of NAME: a component's one file, or one per target of a change. */
async function logSet(config: LoadedConfig, state: CompctlState | null, name: string): Promise<LogSet> {
  const fileChange = config.spec.changes?.[name]
  const isComponent = config.spec.components?.[name] !== undefined || (fileChange === undefined && state?.components[name] !== undefined)
  if (isComponent) {
    const path = componentLogFile(config.stateDir, name)
    return {what: 'component', location: path, sources: [{label: name, path}]}
  }
  if (fileChange === undefined && state?.changes[name] === undefined) {
    const known = [...Object.keys(config.spec.components ?? {}), ...Object.keys(config.spec.changes ?? {})].sort()
    throw new UserError(`${name}: no component or change is called that in ${config.file} or its state.`, {
      hint: known.length > 0 ? `Known names: ${known.join(', ')}.` : `${config.file} declares no components or changes.`,
    })
  }
  const dir = changeLogDir(config.stateDir, name)
  const declared = (fileChange?.targets ?? (fileChange ? [{name: 'local'}] : [])).map((t) => t.name)
  const recorded = Object.keys(state?.changes[name]?.targets ?? {}).sort()
  // Logs of targets since removed from the file are still worth showing.
  const onDisk = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4)).sort()
  const targets = [...new Set([...declared, ...recorded, ...onDisk])]
  return {what: 'change', location: dir, sources: targets.map((target) => ({label: target, path: changeTargetLogFile(config.stateDir, name, target)}))}
}

/** Writes to stdout, minding back-pressure. */
async function out(bytes: Buffer | string): Promise<void> {
  if (!process.stdout.write(bytes)) await once(process.stdout, 'drain')
}

/** One component's log, byte for byte. */
class PlainSink implements LogSink {
  write(_source: LogSource, chunk: Buffer): Promise<void> {
    return out(chunk)
  }

  async flush(): Promise<void> {}
}

/** A change's targets: a `==> TARGET <==` header whenever the output moves to another file, as tail does. */
class HeadedSink implements LogSink {
  private last: string | null = null
  private headers = 0

  async write(source: LogSource, chunk: Buffer): Promise<void> {
    if (source.label !== this.last) {
      await out(`${this.headers++ > 0 ? '\n' : ''}==> ${source.label} <==\n`)
      this.last = source.label
    }
    await out(chunk)
  }

  async flush(): Promise<void> {}
}

/** Every component at once: each line prefixed `NAME | `, names padded to one width and coloured in a terminal. */
class PrefixedSink implements LogSink {
  /** Each log's line begun and not ended yet: printed once its newline comes, so lines of two logs never mix. */
  private readonly partial = new Map<string, {label: string; rest: Buffer}>()
  private width: number

  constructor(
    private readonly palette: Palette,
    names: string[],
  ) {
    this.width = Math.max(0, ...names.map((n) => n.length))
  }

  async write(source: LogSource, chunk: Buffer): Promise<void> {
    let rest = Buffer.concat([this.partial.get(source.path)?.rest ?? Buffer.alloc(0), chunk])
    const lines: string[] = []
    for (let end = rest.indexOf(NEWLINE); end !== -1; end = rest.indexOf(NEWLINE)) {
      lines.push(this.prefix(source.label) + rest.subarray(0, end + 1).toString('utf8'))
      rest = rest.subarray(end + 1)
    }
    this.partial.set(source.path, {label: source.label, rest})
    if (lines.length > 0) await out(lines.join(''))
  }

  async flush(): Promise<void> {
    for (const [path, {label, rest}] of this.partial) {
      if (rest.length === 0) continue
      await out(`${this.prefix(label)}${rest.toString('utf8')}\n`)
      this.partial.delete(path)
    }
  }

  private prefix(name: string): string {
    this.width = Math.max(this.width, name.length)
    return `${this.palette.paint(nameStyle(name), name.padEnd(this.width))} | `
  }
}

/** A colour per name that stays the same from one run to the next. */
function nameStyle(name: string): Style {
  let hash = 0
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  return NAME_STYLES[hash % NAME_STYLES.length]!
}
