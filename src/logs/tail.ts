import {open} from 'node:fs/promises'

const TAIL_CHUNK = 64 * 1024
const NEWLINE = 0x0a

/** The last `count` lines of a file (reads at most its last 64 KiB); empty when it is missing. */
export async function tailLines(path: string, count = 10): Promise<string[]> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch {
    return []
  }
  try {
    const {size} = await handle.stat()
    const length = Math.min(size, TAIL_CHUNK)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines.slice(-count)
  } finally {
    await handle.close()
  }
}

/** The byte offset where the last `lines` lines of the file's first `size` bytes begin; reads backwards, so a huge log costs little. */
export async function tailStart(path: string, size: number, lines: number): Promise<number> {
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
