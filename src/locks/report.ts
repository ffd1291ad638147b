import {resolve} from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {formatMs} from '../util/duration.js'
import {defaultLockDir} from './index.js'
import type {LockBackend, LockHolder} from './types.js'

/** One lock as `compctl locks` shows it. */
export interface LockReportEntry {
  lock: string
  /** Declared in the desired file's `locks`. */
  declared: boolean
  /** How many may hold it at once: from the file when declared, else what its requests asked. */
  limit: number | null
  holders: LockHolder[]
  /** Waiting requests, next first. */
  queue: LockHolder[]
}

export interface LockReport {
  format_version: '1'
  project: string
  backend: 'file' | 'etcd'
  /** Where the locks live: the file backend's folder, or the etcd endpoints and key prefix. */
  location: string
  locks: LockReportEntry[]
}

export function lockLocation(config: LoadedConfig): {backend: 'file' | 'etcd'; location: string} {
  const settings = config.spec.settings?.locks
  if (settings?.backend === 'etcd') {
    const prefix = (settings.etcd?.prefix ?? '/compctl').replace(/\/+$/, '')
    return {backend: 'etcd', location: `${(settings.etcd?.endpoints ?? ['http://127.0.0.1:2379']).join(', ')} ${prefix}/${config.project}/locks/`}
  }
  const dir = settings?.dir === undefined ? defaultLockDir() : resolve(config.baseDir, settings.dir)
  return {backend: 'file', location: resolve(dir, config.project)}
}

/** Every lock declared in the file, and any other the backend knows for the project. */
export async function buildLockReport(config: LoadedConfig, backend: LockBackend): Promise<LockReport> {
  const declared = config.spec.locks ?? {}
  const statuses = new Map((await backend.status()).map((s) => [s.lock, s]))
  const names = [...new Set([...Object.keys(declared), ...statuses.keys()])].sort()
  return {
    format_version: '1',
    project: config.project,
    ...lockLocation(config),
    locks: names.map((lock) => {
      const status = statuses.get(lock)
      const decl = declared[lock]
      return {
        lock,
        declared: decl !== undefined,
        limit: decl !== undefined ? (decl.holders ?? 1) : (status?.limit ?? null),
        holders: status?.holders ?? [],
        queue: status?.queue ?? [],
      }
    }),
  }
}

function describe(entry: LockHolder, now: Date): string {
  const age = formatMs(Math.max(0, now.getTime() - Date.parse(entry.since)))
  return `${entry.id}  ${entry.project}@${entry.host} pid ${entry.pid}${entry.step ? `  ${entry.step}` : ''}  since ${entry.since} (${age})`
}

export function renderLockReport(report: LockReport, now = new Date()): string {
  const lines = [`Locks of project ${report.project} (${report.backend} backend: ${report.location})`]
  if (report.locks.length === 0) lines.push('  No locks declared in the file, and none held or requested.')
  for (const lock of report.locks) {
    const limit = lock.limit === null ? '?' : String(lock.limit)
    const state = lock.holders.length === 0 ? 'free' : `held ${lock.holders.length}/${limit}`
    const extra = [lock.queue.length > 0 ? `${lock.queue.length} waiting` : '', lock.declared ? '' : 'not declared in this file'].filter(Boolean)
    lines.push('', `${lock.lock}: ${state}${lock.holders.length === 0 ? ` (holders: ${limit})` : ''}${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`)
    for (const holder of lock.holders) lines.push(`  holder  ${describe(holder, now)}`)
    lock.queue.forEach((waiting, index) => lines.push(`  ${String(index + 1).padStart(6)}. ${describe(waiting, now)}`))
  }
  if (report.locks.some((l) => l.holders.length > 0)) lines.push('', 'Free a stuck holder with: compctl locks release NAME HOLDER')
  return lines.join('\n')
}
