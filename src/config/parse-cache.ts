import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, renameSync, statSync, writeSync} from 'node:fs'
import {basename, dirname, isAbsolute, join} from 'node:path'
import type {Problem} from '../errors.js'
import {makePrivateDirSync, openPrivateSync, unlinkIfPossible} from '../util/private-files.js'

/*
 * The parsed data of valid desired-state files, kept between runs: compctl has no daemon, so every
 * command parses and checks its file again, and for YAML that is most of a no-op apply's work (the
 * `yaml` parser, run cold, allocates ~800 bytes per byte of input). Like Python's .pyc files: an
 * entry holds one file's exact text, its data and the warnings its checks found, and is used only
 * for that path, that text and the build that wrote it (the checks are a function of the data and
 * the build alone, so they are not run again). Only the desired-state file is kept: its values are
 * literal (sensitive values come from variables and env files, which are resolved after parsing
 * and never kept here).
 *
 * The entries are data that will run as root, so one is trusted only if compctl's own user owns it
 * and its folder, neither is writable by others, it is not a symlink, and no one else may change
 * where the folder's path leads (trustedFolder); anything else is a miss, and nothing is written
 * there. Writing is best effort: a cache that cannot be written is no cache.
 */

/** The build's identity (scripts/build.mjs: a hash of the sources and the locked dependencies): another build's entries are misses. */
declare const __COMPCTL_BUILD_ID__: string | undefined
const BUILD_ID = typeof __COMPCTL_BUILD_ID__ === 'string' ? __COMPCTL_BUILD_ID__ : undefined

/** Entries kept: one per file path, the least recently written removed past this. */
export const MAX_ENTRIES = 64
/** Larger files (10,000 components take ~1.5 MB) are not kept. */
export const MAX_TEXT_CHARS = 8 * 1024 * 1024

const ENTRY_NAME = /^[0-9a-f]{16}\.json$/
const TEMPORARY_NAME = /^[0-9a-f]{16}\.json\.tmp-\d+$/
const TEMPORARY_MAX_AGE_MS = 60_000
/** The sticky bit of a folder's mode (S_ISVTX): only an entry's owner may rename or remove it. */
const STICKY = 0o1000

/** A warning of a kept file, located; the file's name is as the command was given it. */
export type KeptWarning = Omit<Problem, 'file'>

interface Entry {
  build: string
  path: string
  text: string
  data: unknown
  warnings: KeptWarning[]
}

let folder: string | null = null

/**
 * Turns the cache on (in `<cacheDir>/parsed`, oclif's cache folder: COMPCTL_CACHE_DIR, else
 * XDG_CACHE_HOME/compctl, else ~/.cache/compctl) or, with null, off. COMPCTL_PARSE_CACHE=0 keeps it off.
 */
export function useParseCache(cacheDir: string | null): void {
  // A relative folder would move with the working directory: no cache then.
  const off = cacheDir === null || !isAbsolute(cacheDir) || BUILD_ID === undefined || /^(0|false|off|no)$/i.test(process.env.COMPCTL_PARSE_CACHE ?? '')
  folder = off ? null : join(cacheDir, 'parsed')
}

/** The data and warnings kept for this file with exactly this text, or undefined. */
export function cachedParse(path: string, text: string): {data: unknown; warnings: KeptWarning[]} | undefined {
  if (folder === null || text.length > MAX_TEXT_CHARS) return undefined
  const real = trustedFolder(folder, false)
  if (real === undefined) return undefined
  let fd: number
  try {
    fd = openSync(join(real, entryName(path)), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile() || !ownedPrivately(info) || info.size > 4 * MAX_TEXT_CHARS) return undefined
    const bytes = Buffer.allocUnsafe(info.size)
    let read = 0
    while (read < bytes.length) {
      const got = readSync(fd, bytes, read, bytes.length - read, null)
      if (got === 0) return undefined
      read += got
    }
    const entry = JSON.parse(bytes.toString('utf8')) as Partial<Entry>
    const hit = entry.build === BUILD_ID && entry.path === path && entry.text === text && 'data' in entry && Array.isArray(entry.warnings)
    return hit ? {data: entry.data, warnings: entry.warnings!} : undefined
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

/** Keeps `data`, just parsed from `text` and found valid with `warnings`, for the next run on `path`: only data JSON gives back exactly. */
export function keepParse(path: string, text: string, data: unknown, warnings: KeptWarning[]): void {
  if (folder === null || text.length > MAX_TEXT_CHARS || !jsonExact(data) || !jsonExact(warnings)) return
  const real = trustedFolder(folder, true)
  if (real === undefined) return
  const name = entryName(path)
  const temporary = join(real, `${name}.tmp-${process.pid}`)
  try {
    const entry: Entry = {build: BUILD_ID!, path, text, data, warnings}
    const fd = openPrivateSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW)
    try {
      writeSync(fd, JSON.stringify(entry))
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, join(real, name))
    prune(real)
  } catch {
    unlinkIfPossible(temporary)
  }
}

/**
 * The cache folder's real path, if no one but compctl's user and root can change what is in it or
 * where its path leads: it is a folder of compctl's user that no one else may write, and every
 * folder above it belongs to root or that user and no one else may write it, or is sticky like
 * /tmp (others cannot move what is not theirs there). Both the folders its path names (where a
 * symlink could be planted) and those of its real path are checked. A HOME or XDG_CACHE_HOME of
 * another user's fails this, and so does a symlink planted where others may write. With `create`,
 * its missing folders are made (0700) once the folder above them passed; undefined when they are
 * missing otherwise.
 */
function trustedFolder(path: string, create: boolean): string | undefined {
  const missing: string[] = []
  let existing = path
  let real: string
  for (;;) {
    try {
      real = realpathSync.native(existing)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create || existing === dirname(existing)) return undefined
      missing.unshift(basename(existing))
      existing = dirname(existing)
    }
  }
  try {
    const own = missing.length === 0
    if (!foldersHeld(existing, own, statSync) || !foldersHeld(real, own, lstatSync)) return undefined
    if (own) return real
    const made = join(real, ...missing)
    makePrivateDirSync(made)
    return ownedPrivately(lstatSync(made)) ? made : undefined
  } catch {
    return undefined
  }
}

/** Whether `path` and every folder above it are folders held as trustedFolder asks (`own`: `path` must be compctl's user's alone), each as `look` sees it. */
function foldersHeld(path: string, own: boolean, look: (path: string) => {isDirectory(): boolean; uid: number; mode: number}): boolean {
  for (let at = path, last = own; ; at = dirname(at), last = false) {
    const info = look(at)
    if (!info.isDirectory() || !(last ? ownedPrivately(info) : fixedByOthers(info))) return false
    if (at === dirname(at)) return true
  }
}

/** A folder above the cache: root's or compctl's user's, and no one else may write it unless it is sticky. */
function fixedByOthers(info: {uid: number; mode: number}): boolean {
  return (info.uid === 0 || info.uid === process.geteuid?.()) && ((info.mode & 0o022) === 0 || (info.mode & STICKY) !== 0)
}

function ownedPrivately(info: {uid: number; mode: number}): boolean {
  return info.uid === process.geteuid?.() && (info.mode & 0o022) === 0
}

/** Removes the least recently written entries past MAX_ENTRIES, and temporaries a killed run left; only names this module writes. */
function prune(path: string): void {
  const names = readdirSync(path)
  const now = Date.now()
  const entries: Array<{name: string; written: number}> = []
  for (const name of names) {
    const entry = ENTRY_NAME.test(name)
    if (!entry && !TEMPORARY_NAME.test(name)) continue
    try {
      const written = statSync(join(path, name)).mtimeMs
      if (entry) entries.push({name, written})
      else if (now - written > TEMPORARY_MAX_AGE_MS) unlinkIfPossible(join(path, name))
    } catch {}
  }
  if (entries.length <= MAX_ENTRIES) return
  entries.sort((a, b) => a.written - b.written)
  for (const {name} of entries.slice(0, entries.length - MAX_ENTRIES)) unlinkIfPossible(join(path, name))
}

/** A file's entry name: 64 bits of FNV-1a over its path (a collision is a miss: the entry names its path). */
export function entryName(path: string): string {
  let high = 0xcbf29ce4
  let low = 0x84222325
  for (let at = 0; at < path.length; at++) {
    low = (low ^ path.charCodeAt(at)) >>> 0
    // Multiplying by the 64-bit FNV prime, 2^40 + 0x1b3, in two 32-bit halves.
    const lowTimes = low * 0x1b3
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + Math.floor(lowTimes / 0x100000000)) >>> 0
    low = lowTimes >>> 0
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0') + '.json'
}

/** Whether JSON.parse(JSON.stringify(value)) is `value` again: plain objects and arrays, strings, booleans, null, finite numbers but -0. */
export function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype && value.every(jsonExact)
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false
  for (const key of Object.keys(value)) if (key === '__proto__' || !jsonExact((value as Record<string, unknown>)[key])) return false
  return true
}
