import {createHash} from 'node:crypto'
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'
import {UserError} from '../errors.js'

const CHUNK_BYTES = 64 * 1024

function describeKind(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFDIR:
      return 'a folder'
    case constants.S_IFIFO:
      return 'a FIFO'
    case constants.S_IFCHR:
      return 'a character device'
    case constants.S_IFBLK:
      return 'a block device'
    case constants.S_IFSOCK:
      return 'a socket'
    default:
      return 'not a regular file'
  }
}

/** A failure to read an input file: one line naming it; `code` is the errno code when there was one. */
export class InputFileError extends UserError {
  constructor(
    line: string,
    readonly code?: string,
  ) {
    super(line)
  }
}

/**
 * Opens `path` for reading if it is a regular file (a symlink to one is followed): non-blocking, so
 * a FIFO cannot hang the open, and checked before any read. Anything else is an InputFileError
 * naming it; a failed open throws its own error, for the caller to word.
 */
function openRegularFile(path: string, what: string): {fd: number; size: number} {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  let info
  try {
    info = fstatSync(fd)
  } catch (error) {
    closeSync(fd)
    throw error
  }
  if (info.isFile()) return {fd, size: info.size}
  closeSync(fd)
  throw new InputFileError(`${path}: cannot read ${what}: it is ${describeKind(info.mode)}, not a regular file`)
}

/** A failure while reading an open input, as one InputFileError naming it. */
function readFailure(path: string, what: string, error: unknown): UserError {
  if (error instanceof UserError) return error
  const code = (error as NodeJS.ErrnoException).code
  return new InputFileError(`${path}: cannot read ${what}: ${code ?? (error as Error).message}`, code)
}

/**
 * Reads an input compctl was pointed at (`what`: "the desired-state file", "the state", "the saved
 * plan", "a var file", "an env file"): only a regular file (see openRegularFile), and at most
 * `maxBytes`, whatever the file claims its size is. Every failure is one InputFileError (a
 * UserError) naming the path; a missing file's has code ENOENT.
 */
export async function readInputFile(path: string, what: string, maxBytes: number): Promise<Buffer> {
  let file
  try {
    file = openRegularFile(path, what)
  } catch (error) {
    if (error instanceof UserError) throw error
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message)
    throw new InputFileError(`${path}: cannot read ${what}: ${why}`, code)
  }
  try {
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes + 1 - total))
      const bytesRead = readSync(file.fd, buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > maxBytes) throw new InputFileError(`${path}: cannot read ${what}: it is larger than ${formatBytes(maxBytes)}, the most compctl reads`)
      chunks.push(buffer.subarray(0, bytesRead))
    }
    return Buffer.concat(chunks, total)
  } catch (error) {
    throw readFailure(path, what, error)
  } finally {
    closeSync(file.fd)
  }
}

/**
 * The sha256 (hex) of a regular file's content, or null when it cannot be opened (missing,
 * unreadable); anything but a regular file is an InputFileError naming it, as in readInputFile.
 * Read in chunks, without a size limit: `what` (a watched file) may be a program's binary.
 */
export function hashInputFile(path: string, what: string): string | null {
  let file
  try {
    file = openRegularFile(path, what)
  } catch (error) {
    if (error instanceof UserError) throw error
    return null
  }
  try {
    const hash = createHash('sha256')
    const buffer = Buffer.allocUnsafe(Math.min(Math.max(file.size, 4096), CHUNK_BYTES * 16))
    for (let read; (read = readSync(file.fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, read))
    return hash.digest('hex')
  } catch (error) {
    throw readFailure(path, what, error)
  } finally {
    closeSync(file.fd)
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(bytes % 1048576 === 0 ? 0 : 1)} MB` : `${bytes} bytes`
}
