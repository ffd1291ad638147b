import {spawn} from 'node:child_process'
import {closeSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {makePrivateDirSync, openPrivateSync} from '../util/private-files.js'
import {readProcStat, readStartTime, type ProcessIdentity} from './observe.js'
import {secrets} from '../secrets/secrets.js'
import {describeCommand, type CommandSpec} from './run-command.js'

export interface ExitInfo {
  code: number | null
  signal: string | null
}

export interface LaunchRequest {
  command: CommandSpec
  /** Set on top of compctl's own environment. */
  env?: Record<string, string>
  cwd: string
  /** stdout and stderr are appended here; its folder is created. */
  logFile: string
}

export interface LaunchedProcess extends ProcessIdentity {
  /** Resolves when the process exits (only observable while this compctl process lives). */
  exited: Promise<ExitInfo>
}

const START_TIME_RETRIES = 10
const START_TIME_RETRY_MS = 20

function folderProblem(cwd: string): string | null {
  try {
    return statSync(cwd).isDirectory() ? null : `its working folder ${cwd} is not a folder`
  } catch {
    return `its working folder ${cwd} does not exist`
  }
}

function explainStartFailure(code: string | undefined, program: string, cwd: string, fallback: string): string {
  const badFolder = folderProblem(cwd)
  if (badFolder) return badFolder
  const where = program.includes('/') ? `(relative to ${cwd})` : 'on PATH'
  if (code === 'ENOENT') return program.startsWith('/') ? `${program} does not exist` : `${program} was not found ${where}`
  if (code === 'EACCES') return `${program} is not executable (permission denied)`
  return fallback
}

/**
 * Starts a component detached in its own process group (pgid = pid), stdin ignored, stdout and
 * stderr appended to `logFile`, unref'd so compctl can exit while it runs. A string command runs
 * with /bin/sh -c; an argv runs without a shell (a relative program path resolves against cwd).
 * Resolves once the pid and start time are known; rejects naming the command when it cannot start.
 */
export async function launch(request: LaunchRequest): Promise<LaunchedProcess> {
  // The request holds sensitive values as markers (what messages name); only the process gets the values.
  const {command, cwd, logFile} = request
  const real = secrets.reveal({command, cwd, env: request.env})
  const [program, ...args] = typeof real.command === 'string' ? ['/bin/sh', '-c', real.command] : real.command
  const shownProgram = typeof command === 'string' ? '/bin/sh' : command[0]!
  if (program === undefined || program === '') throw new Error(`could not start ${describeCommand(command)}: the command is empty`)
  makePrivateDirSync(dirname(logFile))
  // The child writes to the log file's own fd, never a pipe through compctl, so its output does not
  // depend on compctl living on.
  const logFd = openPrivateSync(logFile, 'a')
  let child
  try {
    // node:child_process, not execa: execa's async API pipes `{file}` output targets through this process, and its types refuse a raw fd.
    child = spawn(program, args, {cwd: real.cwd, env: {...process.env, ...real.env}, detached: true, stdio: ['ignore', logFd, logFd]})
  } catch (error) {
    throw new Error(`could not start ${describeCommand(command)}: ${secrets.hide((error as Error).message)}`)
  } finally {
    // spawn forks and execs synchronously: the child already holds its own copy.
    closeSync(logFd)
  }
  const pid = child.pid
  // Read before any await, and raw: a child that exited at once is a zombie until Node reaps it
  // on a later turn, yet its start time is its own (readStartTime rightly treats zombies as gone).
  const firstStartTime = pid === undefined ? null : (readProcStat(pid)?.startTime ?? null)
  const exited = new Promise<ExitInfo>((resolveExit) => child.once('exit', (code, signal) => resolveExit({code, signal})))
  const failed = new Promise<NodeJS.ErrnoException>((resolveError) => child.on('error', resolveError))
  child.unref()

  if (pid === undefined) {
    const error = await failed
    throw new Error(`could not start ${describeCommand(command)}: ${explainStartFailure(error.code, shownProgram, cwd, secrets.hide(error.message))}`)
  }

  let startTime = firstStartTime
  for (let attempt = 0; startTime === null && attempt < START_TIME_RETRIES; attempt++) {
    await sleep(START_TIME_RETRY_MS)
    startTime = readStartTime(pid)
  }
  if (startTime === null) {
    const info = await exited
    const how = info.signal ? `signal ${info.signal}` : `code ${info.code}`
    throw new Error(`could not start ${describeCommand(command)}: it exited at once (${how}) before its start time could be read`)
  }
  return {pid, startTime, exited}
}
