import {constants} from 'node:fs'
import {chmod, mkdir, open, type FileHandle} from 'node:fs/promises'

/**
 * The places where the log module creates files and folders. Rotated copies can hold anything a
 * component printed (tokens, passwords in a stack trace), so they are private to the owner
 * whatever the umask: the mode is set explicitly after creation.
 */
const PRIVATE_FILE = 0o600
const PRIVATE_DIR = 0o700

/** Creates `path` for writing, failing when it exists (EEXIST) or is a symlink: mode 0600. */
export async function createPrivateFile(path: string): Promise<FileHandle> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE)
  await handle.chmod(PRIVATE_FILE)
  return handle
}

/** Creates a folder (and its parents) as 0700; an existing one is left as it is. */
export async function ensurePrivateDir(path: string): Promise<void> {
  const created = await mkdir(path, {recursive: true, mode: PRIVATE_DIR})
  if (created !== undefined) await chmod(path, PRIVATE_DIR)
}
