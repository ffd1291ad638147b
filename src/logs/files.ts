import {constants} from 'node:fs'
import {open, type FileHandle} from 'node:fs/promises'

/**
 * The one place where the log module creates files (it creates no folders: the logs folder is
 * made when a component starts). Rotated copies can hold anything a component printed (tokens,
 * passwords in a stack trace), so they are private to the owner whatever the umask: the mode is
 * set explicitly after creation.
 */
const PRIVATE_FILE = 0o600

/** Creates `path` for writing, failing when it exists (EEXIST) or is a symlink: mode 0600. */
export async function createPrivateFile(path: string): Promise<FileHandle> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE)
  await handle.chmod(PRIVATE_FILE)
  return handle
}
