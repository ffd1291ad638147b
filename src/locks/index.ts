import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {ownUid} from '../process/observe.js'
import {durationMs} from '../util/duration.js'
import {EtcdLockBackend} from './etcd-backend.js'
import {FileLockBackend} from './file-backend.js'
import type {LockBackend, LockSettings} from './types.js'

export * from './types.js'

const DEFAULT_ENDPOINTS = ['http://127.0.0.1:2379']
const DEFAULT_PREFIX = '/compctl'
const DEFAULT_TTL_MS = 15_000

/** The file backend's folder when `settings.locks.dir` is not set: one per user, private to it. */
export function defaultLockDir(): string {
  return join(tmpdir(), `compctl-locks-${ownUid()}`)
}

/**
 * The backend `settings.locks` names, for the locks of `project`. A relative `dir` is resolved
 * against `baseDir` (the desired file's folder), else the current folder. The etcd backend
 * checks that etcd answers and throws a UserError naming the endpoints when it does not.
 */
export async function openLockBackend(settings: LockSettings | undefined, project: string, options: {baseDir?: string} = {}): Promise<LockBackend> {
  if (settings?.backend === 'etcd') {
    const etcd = settings.etcd ?? {}
    return EtcdLockBackend.open(
      {
        endpoints: etcd.endpoints ?? DEFAULT_ENDPOINTS,
        prefix: (etcd.prefix ?? DEFAULT_PREFIX).replace(/\/+$/, ''),
        ttlSeconds: Math.max(1, Math.ceil(durationMs(etcd.ttl, DEFAULT_TTL_MS) / 1000)),
      },
      project,
    )
  }
  if (settings?.dir === undefined) return new FileLockBackend(defaultLockDir(), project, {privateRoot: true})
  return new FileLockBackend(resolve(options.baseDir ?? process.cwd(), settings.dir), project)
}
