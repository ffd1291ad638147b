/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */

/**
 * This interface was referenced by `CompctlPlan`'s JSON-Schema
 * via the `definition` "action".
 */
export type Action = 'start' | 'stop' | 'restart' | 'reload' | 'update' | 'change' | 'move'

/**
 * A compctl plan: the output of `compctl plan --json`, and the file `--out` saves for `compctl apply`.
 */
export interface CompctlPlan {
  /**
   * The plan format version. Consumers should check it.
   */
  format_version: '1'
  /**
   * A hash of the plan's contents; recorded in the state when applied, so a saved plan runs once.
   */
  id: string
  project: string
  /**
   * The lineage of the state this plan was made against (null: no state yet).
   */
  lineage: string | null
  source: {
    /**
     * The desired-state file.
     */
    file: string
    /**
     * The folder relative paths are resolved against.
     */
    baseDir: string
    stateDir: string
  }
  options: {
    destroy: boolean
    targets: string[]
    replace: string[]
    refresh: boolean
  }
  /**
   * The desired file's settings, as written.
   */
  settings: {}
  /**
   * The desired file's named locks.
   */
  locks: {}
  /**
   * A keyed hash of each variable's value (`var.NAME`) and each env file's contents (`envFile:COMPONENT:FILE`) the plan was made with, never the value: applying the saved plan needs the same values.
   */
  inputs?: {
    [k: string]: string
  }
  steps: PlanStep[]
  summary: {
    start: number
    stop: number
    restart: number
    reload: number
    update: number
    change: number
    /**
     * Records renamed (present only when there are some).
     */
    move?: number
    total: number
  }
}
/**
 * This interface was referenced by `CompctlPlan`'s JSON-Schema
 * via the `definition` "step".
 */
export interface PlanStep {
  /**
   * `<action>.<name>`, unique in the plan.
   */
  id: string
  action: Action
  type: 'component' | 'change'
  name: string
  kind?: 'core' | 'needed' | 'dispensable'
  priority: number
  /**
   * Ids of the steps that must end before this one begins.
   */
  waitsFor: string[]
  /**
   * The named lock this step holds while it runs.
   */
  lock: string | null
  /**
   * Why this step happens, for people. It explains; it never decides.
   */
  reason: string
  diff: DiffEntry[]
  assumes: StepAssumption
  /**
   * The spec the step acts with: the desired one, or for a stop the recorded one.
   */
  spec: {}
  specHash: string
  /**
   * For a move: the name the record had; the step renames it to `name`.
   */
  from?: string
  /**
   * A change's targets, batch by batch, in order.
   */
  batches?: string[][]
}
/**
 * This interface was referenced by `CompctlPlan`'s JSON-Schema
 * via the `definition` "diffEntry".
 */
export interface DiffEntry {
  /**
   * The changed field, e.g. `command` or `env.LOG_LEVEL`; `watch:<file>` for a watched file's contents.
   */
  path: string
  /**
   * Absent when the field is new.
   */
  before?: unknown
  /**
   * Absent when the field was removed.
   */
  after?: unknown
  impact: 'restart' | 'reload' | 'none' | 'rerun'
}
/**
 * What the step saw when planned; apply refuses the plan when any of it differs.
 *
 * This interface was referenced by `CompctlPlan`'s JSON-Schema
 * via the `definition` "assumption".
 */
export interface StepAssumption {
  /**
   * The recorded spec hash (null: not in the state).
   */
  specHash: string | null
  status: string | null
  pid: number | null
  startTime: number | null
  /**
   * Hash of each watched file when planned.
   */
  watched?: {
    [k: string]: string | null
  }
}
