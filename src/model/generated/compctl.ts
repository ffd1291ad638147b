/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */

/**
 * Names the state and scopes the lock keys: every compctl with the same project shares its named locks. Default: the name of the folder holding this file.
 */
export type Name = string
/**
 * Lease time to live: a holder that dies loses its lock within it. Default: 15s.
 */
export type Duration = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
export type ANumberOfSeconds = number
export type ADurationStringSuchAs500Ms10SOr2M = string
/**
 * Names this copy's state in the project (the etcd state backend keeps one state per instance). Default: the host name. `--instance` overrides it.
 */
export type Name1 = string
/**
 * Lease time to live of the state lock: an apply that dies loses it within it. Default: `settings.locks.etcd.ttl`, else 15s.
 */
export type Duration1 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * Rotate once the log is larger than this. Default: 10MB.
 */
export type Size = ANumberOfBytes | ASizeStringSuchAs512KB10MBOr1GB
export type ANumberOfBytes = number
export type ASizeStringSuchAs512KB10MBOr1GB = string
/**
 * What to run: an argv array (no shell) or a string run with `/bin/sh -c`.
 */
export type Command = AShellCommandString | AnArgvArrayOfStrings
export type AShellCommandString = string
/**
 * @minItems 1
 */
export type AnArgvArrayOfStrings = [string, ...string[]]
/**
 * A name: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes part of file names and lock keys).
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "name".
 */
export type Name2 = string
/**
 * A command that must exit 0.
 */
export type Command1 = AShellCommandString | AnArgvArrayOfStrings
/**
 * The process must also stay alive this long (supervisord's startsecs). Default: 0.
 */
export type Duration2 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * How long to wait for the probe to hold. Default: 30s.
 */
export type Duration3 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * A command that must exit 0.
 */
export type Command2 = AShellCommandString | AnArgvArrayOfStrings
/**
 * Time between checks. Default: 10s.
 */
export type Duration4 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * How long one check may take before it counts as failed. Default: 5s.
 */
export type Duration5 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * `supervise`: a `needed` component that dies this soon after its start brings the system down. Default: 10s.
 */
export type Duration6 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * Wait before the first retry; doubles on each further one. Default: 1s.
 */
export type Duration7 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * Default: SIGTERM.
 */
export type Signal = string
/**
 * Default: 10s.
 */
export type Duration8 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * Default: SIGHUP.
 */
export type Signal1 = string
/**
 * A name: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes part of file names and lock keys).
 */
export type Name3 = string
/**
 * Runs before the process starts.
 */
export type Command3 = AShellCommandString | AnArgvArrayOfStrings
/**
 * Runs once the process is ready.
 */
export type Command4 = AShellCommandString | AnArgvArrayOfStrings
/**
 * Runs after the process has stopped.
 */
export type Command5 = AShellCommandString | AnArgvArrayOfStrings
export type ABatchSize = number
export type All = 'all'
/**
 * A name: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes part of file names and lock keys).
 */
export type Name4 = string
/**
 * The commands, in order. In argv form `${var}` is replaced from the target's vars, then the change's vars; every command also gets the vars as environment variables.
 *
 * @minItems 1
 */
export type Run = [Command6, ...Command6[]]
/**
 * An argv array, run without a shell; or a single string, run with `/bin/sh -c`.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "command".
 */
export type Command6 = AShellCommandString | AnArgvArrayOfStrings
export type AnExitCode = number
/**
 * @minItems 1
 */
export type AListOfExitCodes = [number, ...number[]]
/**
 * Each command is killed (its whole process group) and fails after this. Default: 5m.
 */
export type Duration9 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
export type AnExitCode1 = number
/**
 * @minItems 1
 */
export type AListOfExitCodes1 = [number, ...number[]]
/**
 * A name: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes part of file names and lock keys).
 */
export type Name5 = string
/**
 * A name: letters, digits, '.', '_' and '-', starting with a letter or digit (it becomes part of file names and lock keys).
 */
export type Name6 = string
/**
 * A duration: `500ms`, `10s`, `2m`, `1h`, or a number of seconds.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "duration".
 */
export type Duration10 = ANumberOfSeconds | ADurationStringSuchAs500Ms10SOr2M
/**
 * A size: `512KB`, `10MB`, `1GB` (powers of 1024), or a number of bytes.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "size".
 */
export type Size1 = ANumberOfBytes | ASizeStringSuchAs512KB10MBOr1GB
/**
 * A signal name such as SIGTERM, SIGHUP or SIGUSR1.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "signal".
 */
export type Signal2 = string

/**
 * A compctl desired-state file: the components (long-running processes), changes (one-shot operations) and named locks of a system.
 */
export interface CompctlFile {
  /**
   * The schema this file follows, for editor completion. compctl ignores it.
   */
  $schema?: string
  /**
   * The file format version. Always 1.
   */
  version: 1
  project?: Name
  settings?: Settings
  /**
   * Named locks that steps take with `lock:`. A lock's name is scoped by `project`.
   */
  locks?: {
    [k: string]: LockDecl
  }
  /**
   * Long-running processes compctl starts, stops, restarts and reloads. Names share one namespace with `changes`.
   */
  components?: {
    [k: string]: Component
  }
  /**
   * Inputs that differ between hosts or environments. `${var.NAME}` in any string under `components` and `changes` is replaced by the value. Values, later sources winning: `default`, each `--var-file`, `COMPCTL_VAR_<name>`, each `--var NAME=VALUE`.
   */
  variables?: {
    [k: string]: Variable
  }
  /**
   * One-shot operations over targets: check, apply, verify, and back out on failure. Names share one namespace with `components`.
   */
  changes?: {
    [k: string]: Change
  }
  /**
   * Renames compctl carries out without a stop or a start: the recorded `from` becomes `to` (declared in this file). A `from` that is not recorded is ignored, so an entry may stay in the file after it was applied.
   */
  moved?: Move[]
}
/**
 * How compctl runs: where state lives, how many steps run at once, which lock backend serves named locks.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "settings".
 */
export interface Settings {
  /**
   * The state folder, relative to this file's folder. Default: `state`.
   */
  stateDir?: string
  /**
   * How many steps of a plan run at once when their order allows. Default: 4.
   */
  parallelism?: number
  /**
   * The backend that serves named locks.
   */
  locks?: {
    /**
     * `file` (default, one host, no server) or `etcd` (many hosts).
     */
    backend?: 'file' | 'etcd'
    /**
     * File backend: the folder of lock files. Default: `<system temp dir>/compctl-locks-<uid>`, private to the user; set a folder shared by a group for users who share locks on one host.
     */
    dir?: string
    /**
     * etcd backend settings.
     */
    etcd?: {
      /**
       * etcd v3 client URLs. Default: ["http://127.0.0.1:2379"].
       *
       * @minItems 1
       */
      endpoints?: [string, ...string[]]
      /**
       * Key prefix of compctl's keys. Default: `/compctl`.
       */
      prefix?: string
      ttl?: Duration
    }
  }
  instance?: Name1
  /**
   * Where the state lives.
   */
  state?: {
    /**
     * `file` (default: `<stateDir>/compctl.state.json`) or `etcd` (`<prefix>/<project>/state/<instance>`, shared by every host).
     */
    backend?: 'file' | 'etcd'
    /**
     * etcd state backend settings. Each one defaults to the same one of `settings.locks.etcd`.
     */
    etcd?: {
      /**
       * etcd v3 client URLs. Default: `settings.locks.etcd.endpoints`, else ["http://127.0.0.1:2379"]. The environment variable COMPCTL_STATE_ETCD_ENDPOINTS (comma-separated) overrides it.
       *
       * @minItems 1
       */
      endpoints?: [string, ...string[]]
      /**
       * Key prefix of compctl's keys. Default: `settings.locks.etcd.prefix`, else `/compctl`.
       */
      prefix?: string
      ttl?: Duration1
    }
  }
  logs?: LogRotation
}
/**
 * How every component's log (and each change target's log) is rotated; a component's own `logs` overrides it field by field.
 */
export interface LogRotation {
  maxSize?: Size
  /**
   * How many rotated copies to keep (0: rotation only empties the log). Default: 5.
   */
  keep?: number
  /**
   * gzip rotated copies (NAME.log.1.gz). Default: true.
   */
  compress?: boolean
}
/**
 * A named lock.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "lockDecl".
 */
export interface LockDecl {
  /**
   * How many may hold it at once. 1 (default) is a mutex; more makes it a semaphore.
   */
  holders?: number
}
/**
 * A long-running process.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "component".
 */
export interface Component {
  /**
   * Free text for people. Changing it does nothing.
   */
  description?: string
  /**
   * What a failure means. `core`: the system cannot run without it; a failed start brings everything down. `needed`: retried per `restart`, then brings everything down. `dispensable` (default): retried, then marked failed while the rest goes on.
   */
  kind?: 'core' | 'needed' | 'dispensable'
  /**
   * Among steps whose order is otherwise free, higher starts earlier and stops later. Default: 0.
   */
  priority?: number
  command: Command
  /**
   * Environment variables, set on top of compctl's own environment.
   */
  env?: {
    [k: string]: string
  }
  /**
   * Working folder, relative to this file's folder. Default: this file's folder.
   */
  cwd?: string
  /**
   * Components or changes this one starts after (and stops before).
   */
  dependsOn?: Name2[]
  ready?: Probe
  health?: HealthCheck
  startGrace?: Duration6
  /**
   * How a failed start (or, under `supervise`, a crash) is retried. Never for `core`.
   */
  restart?: {
    /**
     * How many more attempts after the first. Default: 0.
     */
    retries?: number
    backoff?: Duration7
  }
  /**
   * How the component is stopped: `signal` to its process group, then SIGKILL after `timeout`.
   */
  stop?: {
    signal?: Signal
    timeout?: Duration8
  }
  /**
   * How a change of the watched files is applied without a restart. Without it, such a change restarts the component.
   */
  reload?: {
    signal?: Signal1
  }
  /**
   * Files of KEY=VALUE lines (dotenv syntax), relative to this file's folder, read at plan time into the environment; `env` wins over them. Their contents are part of this component's identity, and their values are sensitive: never shown or stored.
   */
  envFile?: string[]
  /**
   * Files whose contents are part of this component's identity: an edit reloads it (or restarts it, without `reload`). Relative to this file's folder.
   */
  watch?: string[]
  lock?: Name3
  /**
   * Commands run around the process; a failing hook fails the step.
   */
  hooks?: {
    preStart?: Command3
    postStart?: Command4
    postStop?: Command5
  }
  logs?: LogRotation1
}
/**
 * When a start counts as done. Without it, a start is done once the process is running.
 */
export interface Probe {
  /**
   * HOST:PORT that must accept a TCP connection.
   */
  tcp?: string
  /**
   * An http:// or https:// URL that must answer with a 2xx status.
   */
  http?: string
  command?: Command1
  /**
   * A regular expression a line of the component's log must match; only lines written after this start count.
   */
  log?: string
  after?: Duration2
  timeout?: Duration3
}
/**
 * `supervise`: a periodic health check; an unhealthy component is treated as crashed.
 */
export interface HealthCheck {
  /**
   * HOST:PORT that must accept a TCP connection.
   */
  tcp?: string
  /**
   * An http:// or https:// URL that must answer with a 2xx status.
   */
  http?: string
  command?: Command2
  interval?: Duration4
  timeout?: Duration5
  /**
   * Failed checks in a row before the component counts as crashed. Default: 3.
   */
  failures?: number
}
/**
 * How this component's log is rotated, over `settings.logs`. Rotation never restarts the process.
 */
export interface LogRotation1 {
  maxSize?: Size
  /**
   * How many rotated copies to keep (0: rotation only empties the log). Default: 5.
   */
  keep?: number
  /**
   * gzip rotated copies (NAME.log.1.gz). Default: true.
   */
  compress?: boolean
}
/**
 * A declared variable.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "variable".
 */
export interface Variable {
  /**
   * What a value must be (default string).
   */
  type?: 'string' | 'number' | 'boolean'
  /**
   * The value when no source gives one; without it a value is required.
   */
  default?: string | number | boolean
  description?: string
  /**
   * The value is never shown (`(sensitive)` instead) and never stored (a keyed hash instead).
   */
  sensitive?: boolean
}
/**
 * A one-shot operation over targets: check, apply, verify; backout and verifyBackout when apply or verify fails.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "change".
 */
export interface Change {
  /**
   * Free text for people. Changing it does not re-run the change.
   */
  description?: string
  /**
   * Where it is applied. Default: one target named `local`.
   *
   * @minItems 1
   */
  targets?: [Target, ...Target[]]
  vars?: Vars1
  /**
   * Targets per batch: 1 (default) one after another, N batches of N, `all` every target at once.
   */
  serial?: ABatchSize | All
  /**
   * When a target fails: `abort` (default) stops the apply after backing it out; `continue` goes on with the other targets; `backout-all` also backs out, in reverse order, the targets that had succeeded.
   */
  onFailure?: 'abort' | 'continue' | 'backout-all'
  /**
   * Whole-target retries (from `check`) before a target counts as failed. Default: 0.
   */
  retries?: number
  /**
   * Components or changes this one runs after.
   */
  dependsOn?: Name2[]
  lock?: Name4
  check?: Phase
  apply: Phase1
  verify?: Phase2
  /**
   * Undo, when `apply` or `verify` fails: the first entry whose `when` matches runs.
   *
   * @minItems 1
   */
  backout?: [BackoutEntry, ...BackoutEntry[]]
  verifyBackout?: Phase3
}
/**
 * Where a change is applied.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "target".
 */
export interface Target {
  name: Name2
  vars?: Vars
}
/**
 * Variables: `${name}` in argv commands, and environment variables of every command.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "vars".
 */
export interface Vars {
  [k: string]: string
}
/**
 * Variables: `${name}` in argv commands, and environment variables of every command.
 */
export interface Vars1 {
  [k: string]: string
}
/**
 * Precondition: when it fails the target fails, with nothing to back out.
 */
export interface Phase {
  run: Run
  expect?: Expect
  timeout?: Duration9
}
/**
 * What counts as success. Default: `{exitCode: 0}`. Patterns are regular expressions; nothing is ever evaluated.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "expect".
 */
export interface Expect {
  /**
   * The exit code, or a list of accepted ones.
   */
  exitCode?: AnExitCode | AListOfExitCodes
  /**
   * A regular expression standard output must match.
   */
  stdout?: string
  /**
   * A regular expression standard error must match.
   */
  stderr?: string
}
/**
 * The operation itself.
 */
export interface Phase1 {
  run: Run
  expect?: Expect
  timeout?: Duration9
}
/**
 * Proof that `apply` worked.
 */
export interface Phase2 {
  run: Run
  expect?: Expect
  timeout?: Duration9
}
/**
 * A way to back out: the first entry whose `when` matches the failure runs (an entry without `when` matches any).
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "backoutEntry".
 */
export interface BackoutEntry {
  when?: FailureMatch
  run: Run
  expect?: Expect
  timeout?: Duration9
}
/**
 * Matches the failure of `apply` or `verify`: every given field must match.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "failureMatch".
 */
export interface FailureMatch {
  /**
   * The failing command's exit code, or a list of them.
   */
  exitCode?: AnExitCode1 | AListOfExitCodes1
  /**
   * A regular expression the failing command's stdout must match.
   */
  stdout?: string
  /**
   * A regular expression the failing command's stderr must match.
   */
  stderr?: string
  /**
   * Which phase failed.
   */
  phase?: 'apply' | 'verify'
}
/**
 * Proof that the backout worked.
 */
export interface Phase3 {
  run: Run
  expect?: Expect
  timeout?: Duration9
}
export interface Move {
  from: Name5
  to: Name6
}
/**
 * Log rotation: past `maxSize`, NAME.log is copied to NAME.log.1 (`.1.gz` with `compress`) and emptied in place; older copies shift up and those beyond `keep` are deleted.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "logRotation".
 */
export interface LogRotation2 {
  maxSize?: Size
  /**
   * How many rotated copies to keep (0: rotation only empties the log). Default: 5.
   */
  keep?: number
  /**
   * gzip rotated copies (NAME.log.1.gz). Default: true.
   */
  compress?: boolean
}
/**
 * A check that a process is up: at most one of `tcp`, `http`, `command`, `log`.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "probe".
 */
export interface Probe1 {
  /**
   * HOST:PORT that must accept a TCP connection.
   */
  tcp?: string
  /**
   * An http:// or https:// URL that must answer with a 2xx status.
   */
  http?: string
  command?: Command1
  /**
   * A regular expression a line of the component's log must match; only lines written after this start count.
   */
  log?: string
  after?: Duration2
  timeout?: Duration3
}
/**
 * Commands run in order; the phase succeeds when every one meets `expect`.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "phase".
 */
export interface Phase4 {
  run: Run
  expect?: Expect
  timeout?: Duration9
}
/**
 * A periodic check while `compctl supervise` runs: the same probes as `ready`. After `failures` failed checks in a row the component counts as crashed and is handled by its kind.
 *
 * This interface was referenced by `CompctlFile`'s JSON-Schema
 * via the `definition` "healthCheck".
 */
export interface HealthCheck1 {
  /**
   * HOST:PORT that must accept a TCP connection.
   */
  tcp?: string
  /**
   * An http:// or https:// URL that must answer with a 2xx status.
   */
  http?: string
  command?: Command2
  interval?: Duration4
  timeout?: Duration5
  /**
   * Failed checks in a row before the component counts as crashed. Default: 3.
   */
  failures?: number
}
