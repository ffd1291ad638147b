import {appendFileSync, chmodSync, closeSync, constants, fchmodSync, fstatSync, mkdirSync, openSync, unlinkSync, type OpenMode} from 'node:fs'
import {chmod, mkdir, open, type FileHandle} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

/*
 * Every file compctl writes may hold a secret (an env value in the state, a command line in a
 * log): files are 0600 and the folders it creates 0700. The mode is set explicitly after
 * creation, so no umask can widen or narrow it.
 */

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/** The folders `mkdir -p path` would create, outermost first. */
function missingFolders(path: string, firstCreated: string | undefined): string[] {
  if (firstCreated === undefined) return []
  const created: string[] = []
  for (let at = resolve(path); ; at = dirname(at)) {
    created.unshift(at)
    if (at === resolve(firstCreated) || at === dirname(at)) break
  }
  return created
}

/** Creates `path` and its missing parents as 0700 folders; existing folders are left as they are. */
export async function makePrivateDir(path: string): Promise<void> {
  const first = await mkdir(path, {recursive: true, mode: PRIVATE_DIR_MODE})
  for (const folder of missingFolders(path, first)) await chmod(folder, PRIVATE_DIR_MODE)
}

export function makePrivateDirSync(path: string): void {
  const first = mkdirSync(path, {recursive: true, mode: PRIVATE_DIR_MODE})
  for (const folder of missingFolders(path, first)) chmodSync(folder, PRIVATE_DIR_MODE)
}

/**
 * Opens (creating it 0600) a file compctl writes. A file of compctl's own user found with a wider
 * mode (left by an older compctl) is narrowed too; another user's file is not touched.
 */
export async function openPrivate(path: string, flags: OpenMode, mode = PRIVATE_FILE_MODE): Promise<FileHandle> {
  const handle = await open(path, flags, mode)
  try {
    const info = await handle.stat()
    if (info.isFile() && info.uid === process.geteuid?.() && (info.mode & 0o7777) !== mode) await handle.chmod(mode)
  } catch (error) {
    await handle.close()
    throw error
  }
  return handle
}

export function openPrivateSync(path: string, flags: OpenMode, mode = PRIVATE_FILE_MODE): number {
  const fd = openSync(path, flags, mode)
  try {
    const info = fstatSync(fd)
    if (info.isFile() && info.uid === process.geteuid?.() && (info.mode & 0o7777) !== mode) fchmodSync(fd, mode)
  } catch (error) {
    closeSync(fd)
    throw error
  }
  return fd
}

/** Creates `path` for writing, 0600, failing when it exists (EEXIST) or is a symlink (ELOOP): never writes through a planted link. */
export function createPrivateFile(path: string): Promise<FileHandle> {
  return openPrivate(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW)
}

/** Writes `data` to `path` (created or truncated), 0600. */
export async function writePrivateFile(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const handle = await openPrivate(path, 'w', mode)
  try {
    await handle.writeFile(data)
  } finally {
    await handle.close()
  }
}

/** Appends `text` to a log file, creating it 0600. */
export function appendPrivateSync(path: string, text: string): void {
  const fd = openPrivateSync(path, 'a')
  try {
    appendFileSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

/** Removes a file compctl made (a temporary, a lock, a cache entry) if it can: one left behind is swept by a later run. */
export function unlinkIfPossible(path: string): void {
  try {
    unlinkSync(path)
  } catch {}
}
