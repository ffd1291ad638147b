import {existsSync, readFileSync} from 'node:fs'
import {release} from 'node:os'
import {join} from 'node:path'
import {loadBundle} from './load-bundle.js'

/**
 * The CLI's entry point, called by bin/run.js. The CLI's code (oclif and the commands) loads
 * only once it is needed: `--version` answers without it. Built as CommonJS (dist/main.cjs), so
 * `__dirname` is dist/.
 */
export async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv[0] === '--version') {
    const agent = userAgent()
    if (agent !== null) {
      process.stdout.write(agent + '\n')
      return
    }
  }
  await loadBundle().runCli(argv, __dirname)
}

/**
 * What oclif prints for `--version` (its Config's userAgent), without loading oclif; null on a
 * Linux that may be WSL, where oclif names the platform `wsl` after checks left to it.
 */
function userAgent(): string | null {
  if (process.platform === 'linux' && mayBeWsl()) return null
  const {name, version} = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as {name: string; version?: string}
  const arch = process.arch === 'ia32' ? 'x86' : process.arch
  return `${name}/${version || '0.0.0'} ${process.platform}-${arch} node-${process.version}`
}

function mayBeWsl(): boolean {
  if (release().toLowerCase().includes('microsoft')) return true
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return true
  } catch {}
  return existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL')
}
