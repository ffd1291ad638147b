import {open} from 'node:fs/promises'

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
    const length = Math.min(size, 64 * 1024)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines.slice(-count)
  } finally {
    await handle.close()
  }
}
