import {appendFileSync, closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readdirSync, readSync} from 'node:fs'
import {lstat, readdir, rename, unlink, type FileHandle} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'
import {createPrivateFile} from '../util/private-files.js'
import {changeLogDir, componentOfLogFile, inProgressCopy, isRotationUnderWay, logsDir, rotatedCopy} from './paths.js'
import type {RotationPolicy} from './policy.js'

const COPY_CHUNK = 1024 * 1024

export interface Rotated {
  log: string
  /** Bytes moved into the new copy (before compression). */
  bytes: number
  /** Bytes written while the copy was made that could not be kept (see copyThenTruncate). */
  lostBytes: number
}

/**
 * Rotates `log` when it is larger than `policy.maxSize`: its content moves to NAME.log.1 (or
 * `.1.gz`), older copies shift up, those beyond `keep` are deleted, and NAME.log is emptied in
 * place, so the process writing it (with O_APPEND) goes on writing at its start. Returns null
 * when there was nothing to do, or when another rotation of the same log is under way.
 */
export async function rotateIfLarge(log: string, policy: RotationPolicy): Promise<Rotated | null> {
  const info = await lstat(log).catch(() => null)
  if (info === null || !info.isFile() || info.size <= policy.maxSize) return null
  if (policy.keep === 0) return truncateOnly(log)
  const partial = inProgressCopy(log)
  let copy
  try {
    copy = await createPrivateFile(partial)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const left = await lstat(partial).catch(() => null)
    if (left !== null && isRotationUnderWay(left)) return null
    await unlink(partial).catch(() => undefined)
    copy = await createPrivateFile(partial)
  }
  const progress = {truncated: false}
  let moved
  try {
    const source = openSync(log, constants.O_RDWR | constants.O_NOFOLLOW)
    try {
      moved = await copyThenTruncate(source, info.size, copy, policy.compress, progress)
    } finally {
      closeSync(source)
    }
    await copy.sync()
  } catch (error) {
    await copy.close().catch(() => undefined)
    if (!progress.truncated) {
      await unlink(partial).catch(() => undefined)
      throw error
    }
    // The log is already emptied: what the copy holds is all there is of it, so it is kept (a
    // compressed one may end short, and gunzip still gives what it holds).
    await shiftCopies(log, policy.keep)
    await rename(partial, rotatedCopy(log, 1, policy.compress))
    throw new Error(`${(error as Error).message}; ${rotatedCopy(log, 1, policy.compress)} may be incomplete`)
  }
  await copy.close()
  await shiftCopies(log, policy.keep)
  await rename(partial, rotatedCopy(log, 1, policy.compress))
  if (moved.lostBytes > 0) noteLoss(log, moved.lostBytes)
  return {log, ...moved}
}

/**
 * Copies the log to `out` (through gzip when `compress`), then empties it. Reads go on until the
 * end of the file, and the truncation follows the last read at once (no await between), so what
 * is lost is only what the process writes between those two system calls. A writer faster than
 * the copy is cut off after twice the starting size: what it wrote past the last read is lost,
 * and counted.
 */
async function copyThenTruncate(fd: number, startSize: number, out: FileHandle, compress: boolean, progress: {truncated: boolean}): Promise<{bytes: number; lostBytes: number}> {
  const limit = 2 * startSize
  let bytes = 0
  let lostBytes = 0
  const chunks = function* (): Generator<Buffer> {
    for (;;) {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK)
      const read = bytes < limit ? readSync(fd, buffer, 0, COPY_CHUNK, bytes) : 0
      if (read === 0) {
        lostBytes = Math.max(0, fstatSync(fd).size - bytes)
        ftruncateSync(fd, 0)
        progress.truncated = true
        return
      }
      bytes += read
      yield buffer.subarray(0, read)
    }
  }
  const write = async (pieces: AsyncIterable<Buffer>) => {
    for await (const piece of pieces) await writeAll(out, piece)
  }
  if (compress) await pipeline(Readable.from(chunks()), createGzip(), write)
  else await pipeline(Readable.from(chunks()), write)
  return {bytes, lostBytes}
}

/** A full disk shows as a short write before any error: every byte is written, or it throws. */
async function writeAll(out: FileHandle, bytes: Buffer): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const {bytesWritten} = await out.write(bytes, done, bytes.length - done)
    if (bytesWritten === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
    done += bytesWritten
  }
}

/** keep 0: nothing is kept, the log is only emptied. */
function truncateOnly(log: string): Rotated {
  const fd = openSync(log, constants.O_RDWR | constants.O_NOFOLLOW)
  try {
    const bytes = fstatSync(fd).size
    ftruncateSync(fd, 0)
    return {log, bytes, lostBytes: 0}
  } finally {
    closeSync(fd)
  }
}

/** Says in the log itself that bytes are missing, so a reader does not take the gap for silence. */
function noteLoss(log: string, lostBytes: number): void {
  appendFileSync(log, `compctl: log rotation: ${lostBytes} bytes written while the log was being copied were lost\n`)
}

/** NAME.log.N[.gz] → NAME.log.N+1[.gz], from the oldest; copies numbered `keep` or more are deleted to make room. */
async function shiftCopies(log: string, keep: number): Promise<void> {
  const prefix = `${basename(log)}.`
  const found = new Map<number, string[]>()
  for (const file of await readdir(dirname(log))) {
    if (!file.startsWith(prefix)) continue
    const match = /^([0-9]+)(\.gz)?$/.exec(file.slice(prefix.length))
    if (!match) continue
    const index = Number(match[1])
    found.set(index, [...(found.get(index) ?? []), file])
  }
  for (const index of [...found.keys()].sort((a, b) => b - a)) {
    for (const file of found.get(index)!) {
      const path = join(dirname(log), file)
      if (index >= keep) await unlink(path)
      else await rename(path, rotatedCopy(log, index + 1, file.endsWith('.gz')))
    }
  }
}

/**
 * Every log of the state folder: each component's and each change target's. Read with
 * synchronous calls: a few hundred directory entries cost well under a millisecond that way,
 * while a thread-pool round trip per file is what an idle supervise would spend most on.
 */
export function listLogs(stateDir: string): {path: string; component: string | null; size: number}[] {
  const dir = logsDir(stateDir)
  const out: {path: string; component: string | null; size: number}[] = []
  const add = (path: string, component: string | null) => {
    const info = lstatSync(path, {throwIfNoEntry: false})
    if (info?.isFile()) out.push({path, component, size: info.size})
  }
  for (const file of readdirOrNone(dir)) {
    const component = componentOfLogFile(file)
    if (component !== null) add(join(dir, file), component)
  }
  for (const change of readdirOrNone(join(dir, 'changes'))) {
    const folder = changeLogDir(stateDir, change)
    for (const file of readdirOrNone(folder)) if (file.endsWith('.log')) add(join(folder, file), null)
  }
  return out
}

function readdirOrNone(dir: string): string[] {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}

/** One log that could not be rotated, and why. */
export interface RotationFailure {
  log: string
  error: string
}

/** Checks every log of the state folder and rotates those past their `maxSize`. A failure on one log does not stop the others. */
export async function rotateLogs(stateDir: string, policyOf: (component: string | null) => RotationPolicy): Promise<{rotated: Rotated[]; failed: RotationFailure[]}> {
  const rotated: Rotated[] = []
  const failed: RotationFailure[] = []
  for (const {path, component, size} of listLogs(stateDir)) {
    const policy = policyOf(component)
    if (size <= policy.maxSize) continue
    try {
      const done = await rotateIfLarge(path, policy)
      if (done) rotated.push(done)
    } catch (error) {
      failed.push({log: path, error: (error as Error).message})
    }
  }
  return {rotated, failed}
}
