import {spawnSync} from 'node:child_process'
import {it} from 'vitest'
import {inCi} from '../locks/etcd-server.js'

/**
 * A test that needs a system tool (`dot`, `systemd-analyze`): skipped with the reason when the
 * tool is missing, except under CI, whose machine installs it, where a missing tool fails instead.
 */
export function itWithTool(tool: string, debianPackage: string, title: string, body: () => void | Promise<void>, timeoutMs?: number): void {
  const found = spawnSync(tool, ['--version'], {stdio: 'ignore'})
  const missing = found.error !== undefined ? `no \`${tool}\` on PATH (Debian: apt-get install ${debianPackage})` : null
  if (missing && !inCi()) {
    console.warn(`${title}: skipped: ${missing}. Under CI=true it fails instead.`)
    it.skip(`${title} (skipped: ${missing})`, body)
    return
  }
  it(
    title,
    async () => {
      if (missing) throw new Error(`CI is set but this test cannot run: ${missing}`)
      await body()
    },
    timeoutMs,
  )
}
