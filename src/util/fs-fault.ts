const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error',
  ENOTDIR: 'a part of the path is not a folder',
}

/**
 * What a file system call's failure means for people (`no space left on the device (ENOSPC)`), or
 * null when `error` is not one: the machine's faults are reported as errors naming the path, never
 * as an internal error.
 */
export function describeFsFault(error: unknown): string | null {
  const failure = error as NodeJS.ErrnoException | undefined
  if (typeof failure?.syscall !== 'string' || typeof failure.code !== 'string') return null
  const cause = CAUSES[failure.code]
  return cause ? `${cause} (${failure.code})` : failure.code
}
