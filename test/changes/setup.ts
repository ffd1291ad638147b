import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {type ChangeRunContext, type ChangeRunResult, runChange} from '../../src/changes/run-change.js'
import type {Change} from '../../src/model/generated/compctl.js'
import type {TargetOutcome} from '../../src/model/generated/state.js'
import {tempProject} from '../helpers/cli.js'

export interface ChangeRun {
  result: ChangeRunResult
  /** Every onTargetOutcome call, in order. */
  reported: Array<{target: string; outcome: TargetOutcome}>
  elapsedMs: number
}

/** A fresh folder to run changes in (commands run there); removed after the test. */
export function changeFolder() {
  const dir = tempProject()
  return {
    dir,
    run: async (change: Change, extra: Partial<ChangeRunContext> = {}): Promise<ChangeRun> => {
      const reported: ChangeRun['reported'] = []
      const started = performance.now()
      const result = await runChange({
        name: 'demo',
        change,
        baseDir: dir,
        stateDir: 'state',
        onTargetOutcome: (target, outcome) => {
          reported.push({target, outcome})
        },
        ...extra,
      })
      return {result, reported, elapsedMs: performance.now() - started}
    },
    exists: (file: string) => existsSync(join(dir, file)),
    /** Lines of a file the commands appended to (empty when it does not exist). */
    lines: (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l !== '') : []),
  }
}

/** Targets named `names`, each with a var `t` holding its name. */
export function targets(first: string, ...rest: string[]): NonNullable<Change['targets']> {
  const target = (name: string) => ({name, vars: {t: name}})
  return [target(first), ...rest.map(target)]
}

/** An argv command that runs `script` with sh: vars reach it as environment variables. */
export const sh = (script: string): [string, ...string[]] => ['sh', '-c', script]
