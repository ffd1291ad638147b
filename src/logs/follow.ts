import {createReadStream, watch, type FSWatcher} from 'node:fs'
import {stat} from 'node:fs/promises'
import {basename, dirname} from 'node:path'
import {createGunzip} from 'node:zlib'
import {inProgressCopy, isRotationUnderWay, rotatedCopy} from './paths.js'
import {tailStart} from './tail.js'

/** fs.watch misses events on some file systems (network, overlay): look anyway this often. */
const FOLLOW_POLL_MS = 1000

/** One log file to print; `label` names it in the output (a component, or a change's target). */
export interface LogSource {
  label: string
  path: string
}

/** Where the bytes of the logs go: the command's choice of plain, headed or prefixed output. */
export interface LogSink {
  write(source: LogSource, chunk: Buffer): Promise<void>
  /** Everything read is out (a line without its newline yet included). */
  flush(): Promise<void>
}

/** Where a reader stands in one log: bytes read so far, from which file, and which rotated copy was last seen. */
interface Position {
  offset: number
  inode: number | null
  copyInode: number | null
}

/** A rotation of the log has its copy half-written. */
async function logIsRotating(path: string): Promise<boolean> {
  const partial = await stat(inProgressCopy(path)).catch(() => null)
  return partial !== null && isRotationUnderWay(partial)
}

/** NAME.log.1.gz or NAME.log.1: the newest rotated copy, where a rotation puts what it took from the log. */
async function newestCopy(path: string): Promise<{path: string; inode: number; compressed: boolean} | null> {
  for (const compressed of [true, false]) {
    const copy = rotatedCopy(path, 1, compressed)
    const info = await stat(copy).catch(() => null)
    if (info?.isFile()) return {path: copy, inode: info.ino, compressed}
  }
  return null
}

/** Reads logs into a sink: the last lines of each, then (following) what they gain, across rotations, restarts and replacements. */
export class LogReader {
  private readonly positions = new Map<string, Position>()
  private readonly pumps = new Map<string, Promise<void>>()
  /** Logs seen shrinking, with a look again already due. */
  private readonly awaitingCopy = new Set<string>()
  private stopped = false

  constructor(private readonly sink: LogSink) {}

  /** Prints the log (or its last `lines` lines); false when it does not exist yet. */
  async printInitial(source: LogSource, lines: number | undefined): Promise<boolean> {
    const info = await stat(source.path).catch(() => null)
    const copy = await newestCopy(source.path)
    if (info === null || !info.isFile()) {
      this.positions.set(source.path, {offset: 0, inode: null, copyInode: copy?.inode ?? null})
      return false
    }
    const start = lines === undefined ? 0 : await tailStart(source.path, info.size, lines)
    await this.copyRange(source, source.path, start, info.size)
    this.positions.set(source.path, {offset: info.size, inode: info.ino, copyInode: copy?.inode ?? null})
    return true
  }

  /**
   * Prints what is written to the logs until `until` resolves. `list` gives the logs to follow
   * and, with `discover`, is asked again when a new log appears in their folders, so a log that
   * starts later is picked up (from its beginning).
   */
  async follow(list: () => Promise<LogSource[]>, until: Promise<void>, discover: boolean): Promise<void> {
    let sources = await list()
    const watchers = new Map<string, FSWatcher>()
    const pumpAll = () => {
      for (const source of sources) void this.pump(source)
    }
    const refresh = async () => {
      sources = await list()
      for (const dir of new Set(sources.map((s) => dirname(s.path)))) {
        if (watchers.has(dir)) continue
        try {
          const watcher = watch(dir, (_event, filename) => {
            const name = filename?.toString()
            const source = name === undefined ? undefined : sources.find((s) => dirname(s.path) === dir && (basename(s.path) === name || name.startsWith(`${basename(s.path)}.`)))
            if (source) void this.pump(source)
            else if (discover && name?.endsWith('.log')) void refresh().then(pumpAll)
          })
          watcher.on('error', () => {
            watcher.close()
            watchers.delete(dir)
          })
          watchers.set(dir, watcher)
        } catch {
          // The folder does not exist yet (nothing has run): the poll finds the file once it appears.
        }
      }
    }
    await refresh()
    const poll = setInterval(() => void (discover ? refresh() : Promise.resolve()).then(pumpAll), FOLLOW_POLL_MS)
    // Anything written between the first print and the watchers starting.
    pumpAll()
    await until
    this.stopped = true
    clearInterval(poll)
    for (const watcher of watchers.values()) watcher.close()
    await Promise.all(this.pumps.values())
    await this.sink.flush()
  }

  /** One catch-up at a time per log, in order. */
  private pump(source: LogSource): Promise<void> {
    if (this.stopped) return Promise.resolve()
    const next = (this.pumps.get(source.path) ?? Promise.resolve()).then(() => this.catchUp(source))
    this.pumps.set(source.path, next)
    return next
  }

  /**
   * Prints what the log gained since last time; after a rotation, first the rest of what the copy
   * took. A rotation creates its in-progress copy, empties the log, then renames the copy into
   * place: so the copy is looked at before the log (a log seen whole is never paired with a copy
   * newer than it), and a log seen shrunk is a rotation while the in-progress copy exists or a
   * new copy has appeared, and a plain truncation otherwise.
   */
  private async catchUp(source: LogSource): Promise<void> {
    let position = this.positions.get(source.path)
    if (!position) {
      position = {offset: 0, inode: null, copyInode: null}
      this.positions.set(source.path, position)
    }
    let copy = await newestCopy(source.path)
    const info = await stat(source.path).catch(() => null)
    if (info === null || !info.isFile()) return
    if (position.inode !== null && info.ino !== position.inode) {
      process.stderr.write(`compctl: ${source.path} was replaced; following the new file\n`)
      position.offset = 0
    } else if (info.size < position.offset && (copy?.inode ?? null) === position.copyInode) {
      if (await logIsRotating(source.path)) return this.lookAgainSoon(source)
      copy = await newestCopy(source.path)
      if ((copy?.inode ?? null) === position.copyInode) {
        process.stderr.write(`compctl: ${source.path} was truncated; following from its start\n`)
        position.offset = 0
      }
    }
    if (copy !== null && copy.inode !== position.copyInode && position.inode === info.ino) {
      // Rotated: the copy holds the old log whole; what we had not read yet is at our offset in it.
      await this.copyRange(source, copy.path, position.offset, Infinity, copy.compressed)
      position.offset = 0
    }
    position.inode = info.ino
    position.copyInode = copy?.inode ?? null
    if (info.size <= position.offset) return
    const start = position.offset
    position.offset = info.size
    await this.copyRange(source, source.path, start, info.size)
  }

  private lookAgainSoon(source: LogSource): void {
    if (this.awaitingCopy.has(source.path)) return
    this.awaitingCopy.add(source.path)
    setTimeout(() => {
      this.awaitingCopy.delete(source.path)
      void this.pump(source)
    }, FOLLOW_POLL_MS / 10)
  }

  /** Bytes [start, end) of a file (of its decompressed content for a .gz) into the sink. */
  private async copyRange(source: LogSource, path: string, start: number, end: number, compressed = false): Promise<void> {
    if (end <= start) return
    if (!compressed) {
      for await (const chunk of createReadStream(path, {start, ...(Number.isFinite(end) ? {end: end - 1} : {})})) await this.sink.write(source, chunk as Buffer)
      return
    }
    let skipped = 0
    for await (const chunk of createReadStream(path).pipe(createGunzip())) {
      let bytes = chunk as Buffer
      if (skipped < start) {
        const skip = Math.min(start - skipped, bytes.length)
        skipped += skip
        bytes = bytes.subarray(skip)
      }
      if (bytes.length > 0) await this.sink.write(source, bytes)
    }
  }
}
