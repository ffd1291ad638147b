/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */

/**
 * A component or change name, as in the desired-state file: it names log files, so it can never reach outside their folder.
 *
 * This interface was referenced by `CompctlState`'s JSON-Schema
 * via the `definition` "name".
 */
export type Name = string

/**
 * compctl's record of what it runs: <stateDir>/compctl.state.json. Written atomically after every step; the previous version is kept as compctl.state.json.backup.
 */
export interface CompctlState {
  /**
   * The state format version.
   */
  version: 1
  /**
   * Set once when the state is created; a saved plan from another lineage is refused.
   */
  lineage: string
  /**
   * Incremented on every write.
   */
  serial: number
  /**
   * The project this state belongs to.
   */
  project?: string
  components: {
    [k: string]: ComponentState
  }
  changes: {
    [k: string]: ChangeState
  }
  /**
   * Ids of the saved plans already applied (the newest last), so none runs twice.
   */
  appliedPlans?: string[]
  /**
   * The host of the last apply that ran steps on this state (shown by `status --all`).
   */
  host?: string
  /**
   * When the last apply that ran steps on this state began, ISO 8601 (shown by `status --all`).
   */
  appliedAt?: string
}
/**
 * This interface was referenced by `CompctlState`'s JSON-Schema
 * via the `definition` "componentState".
 */
export interface ComponentState {
  /**
   * The component's spec as last applied.
   */
  spec: {}
  /**
   * Hash of `spec`.
   */
  specHash: string
  /**
   * Hash of each watched file's contents as last applied (null: the file was missing).
   */
  watched?: {
    [k: string]: string | null
  }
  /**
   * starting: launched, readiness not yet confirmed; running; stopping; stopped; failed: its last start failed (see lastError).
   */
  status: 'starting' | 'running' | 'stopping' | 'stopped' | 'failed'
  /**
   * Process id of the process group leader. Never 0 or 1 (kill(2) would address every process, or init): a state naming them is corrupt.
   */
  pid?: number | null
  /**
   * The process's start time in clock ticks since boot (/proc/PID/stat field 22): together with pid it identifies the process, surviving pid reuse.
   */
  startTime?: number | null
  /**
   * ISO 8601 time of the last start.
   */
  startedAt?: string | null
  /**
   * How many times it was restarted after a crash or failed start.
   */
  restarts?: number
  /**
   * Why the last start or stop failed.
   */
  lastError?: string | null
  /**
   * Set by `compctl import`: the process was started outside compctl and adopted. Its command line as seen then; the next plan restarts it when that is not the desired command. A start under compctl drops it.
   */
  adopted?: {
    /**
     * ISO 8601 time of the import.
     */
    at: string
    /**
     * The process's argv (/proc/PID/cmdline).
     */
    command: string[]
  }
  /**
   * How the process last ended, when compctl saw it end.
   */
  lastExit?: {
    code?: number | null
    signal?: string | null
    at?: string
  } | null
  /**
   * `supervise`: the outcome of the latest health checks of the running process, written when it changes.
   */
  health?: {
    status: 'passing' | 'failing'
    /**
     * Failed checks in a row, and how many make a crash.
     */
    failures?: number
    limit?: number
    at: string
  } | null
  pending?: PendingStep
}
/**
 * A journaled intent: written before a step begins and removed when it ends. Found on a later run, it means that step was interrupted.
 *
 * This interface was referenced by `CompctlState`'s JSON-Schema
 * via the `definition` "pending".
 */
export interface PendingStep {
  action: string
  stepId: string
  planId?: string
  /**
   * ISO 8601 time the step began.
   */
  since: string
  /**
   * Set in the environment (COMPCTL_LAUNCH_ID) of a process this step launches, before it is launched: after a crash, a process that was launched but not yet recorded is found by it and adopted.
   */
  launchId?: string
}
/**
 * This interface was referenced by `CompctlState`'s JSON-Schema
 * via the `definition` "changeState".
 */
export interface ChangeState {
  /**
   * The change's spec as last run.
   */
  spec: {}
  specHash: string
  /**
   * success: every target succeeded; failed: at least one did not; running: begun and not ended.
   */
  status: 'running' | 'success' | 'failed'
  targets: {
    [k: string]: TargetOutcome
  }
  lastRunAt?: string | null
  pending?: PendingStep
}
/**
 * This interface was referenced by `CompctlState`'s JSON-Schema
 * via the `definition` "targetOutcome".
 */
export interface TargetOutcome {
  outcome: 'success' | 'failed' | 'backout_ok' | 'backout_failed'
  /**
   * ISO 8601 time the outcome was reached.
   */
  at: string
  attempts?: number
  error?: string | null
}
