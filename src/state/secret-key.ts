import {randomBytes} from 'node:crypto'
import {link, unlink} from 'node:fs/promises'
import {join} from 'node:path'
import {UserError} from '../errors.js'
import {createPrivateFile, makePrivateDir} from '../util/private-files.js'
import {readInputFile} from '../util/read-input.js'
import {temporaryPath} from './temporary.js'

/*
 * The state's secret key keys the hashes that stand for sensitive values in the state and saved
 * plans, so a leaked state or plan does not let anyone test guesses of a password. It lives with
 * the state, in its backend: every host and CI runner that shares a state shares its key, so the
 * same value makes the same marker everywhere. It is made on first use, once: two processes
 * racing to make it end with the same key.
 */

const KEY_FILE = 'compctl.key'

/** A new key as the backends store it: 32 random bytes in hex. */
export function newSecretKeyText(): string {
  return randomBytes(32).toString('hex')
}

/** A stored key read back; a UserError naming `where` when it is not one compctl wrote. */
export function parseSecretKey(text: string, where: string, removal: string): Buffer {
  const key = text.trim()
  if (!/^[0-9a-f]{64}$/.test(key))
    throw new UserError(`${where}: not a compctl state key`, {hint: `${removal}: compctl makes a new one (every sensitive value then plans a restart).`})
  return Buffer.from(key, 'hex')
}

/** The file backend's key: `<stateDir>/compctl.key`, readable by its owner only. */
export async function fileSecretKey(stateDir: string): Promise<Buffer> {
  const path = join(stateDir, KEY_FILE)
  await makePrivateDir(stateDir)
  // Written aside and linked into place: a second compctl either sees the whole key or makes its link fail.
  const temporary = temporaryPath(path)
  try {
    const handle = await createPrivateFile(temporary)
    try {
      await handle.writeFile(newSecretKeyText())
    } finally {
      await handle.close()
    }
    await link(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`${path}: cannot create the state key: ${(error as Error).message}`)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
  return parseSecretKey((await readInputFile(path, 'the state key', 1024)).toString('utf8'), path, 'Remove it')
}
