// What oclif takes from wsl-utils (its platform check, and PowerShell's path on Windows), for the
// build (scripts/build.mjs) to give oclif in its place: wsl-utils loads child_process and
// powershell-utils when it loads, ~2 ms of every start-up, for what only Windows uses.
export {default as isWsl} from 'is-wsl'

export async function powerShellPath(): Promise<string> {
  return (await import('wsl-utils')).powerShellPath()
}
