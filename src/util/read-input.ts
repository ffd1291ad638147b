import {open} from 'node:fs/promises'
import {constants} from 'node:fs'
import {UserError} from '../errors.js'

/**
 * Reads a file the user named (`what` says what it is for), refusing anything but a regular file
 * (a FIFO would block, a device never ends) and anything over `maxBytes`. The check is made on the
 * opened descriptor, so the file cannot be swapped between check and read.
 */
export async function readInputFile(path: string, what: string, maxBytes: number): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`${path}: cannot read the ${what}: ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)}`)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new UserError(`${path}: the ${what} is not a regular file`)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const {bytesRead, buffer} = await handle.read({buffer: Buffer.alloc(65536)})
      if (bytesRead === 0) break
      total += bytesRead
      if (total > maxBytes) throw new UserError(`${path}: the ${what} is larger than ${maxBytes} bytes`)
      chunks.push(buffer.subarray(0, bytesRead))
    }
    return Buffer.concat(chunks)
  } finally {
    await handle.close()
  }
}
