import type {Change} from '../model/generated/compctl.js'
import {runChange} from '../changes/run-change.js'
import {nowIso, type StepContext, type StepResult} from './step-context.js'

/** Runs a change over its targets, journaling each target's outcome as it is reached. */
export async function runChangeStep(ctx: StepContext): Promise<StepResult> {
  const {step, journal, plan} = ctx
  const name = step.name
  await journal.update((state) => {
    const previous = state.changes[name]
    state.changes[name] = {
      spec: step.spec,
      specHash: step.specHash,
      status: 'running',
      targets: previous?.targets ?? {},
      lastRunAt: nowIso(),
      pending: {action: 'change', stepId: step.id, planId: plan.id, since: nowIso()},
    }
  })
  const result = await runChange({
    name,
    change: step.spec as unknown as Change,
    baseDir: plan.source.baseDir,
    stateDir: plan.source.stateDir,
    signal: ctx.signal,
    onProgress: ({message, ...extra}) => ctx.progress(message, extra),
    onOutput: ({target, line}) => ctx.output(line, target),
    onTargetOutcome: (target, outcome) =>
      journal.update((state) => {
        state.changes[name]!.targets[target] = outcome
      }),
  })
  await journal.update((state) => {
    const entry = state.changes[name]!
    entry.targets = {...entry.targets, ...result.targets}
    // An interrupted change stays `running` so the next plan re-runs it from check.
    if (!result.interrupted) {
      entry.status = result.status
      delete entry.pending
    }
  })
  if (result.status === 'success' && !result.interrupted) {
    const count = Object.keys(result.targets).length
    return {ok: true, message: `${count} target${count === 1 ? '' : 's'} succeeded`}
  }
  return {ok: false, error: result.interrupted ? 'interrupted' : (result.error ?? 'failed'), tail: result.tail, abortApply: result.abortApply}
}
