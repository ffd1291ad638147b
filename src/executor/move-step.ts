import {renameLogs, renameRecord} from '../state/rename.js'
import type {StepContext, StepResult} from './step-context.js'

/** A `moved:` entry: the record `from` becomes `name`; its process is left alone and keeps its pid. */
export async function moveRecord(ctx: StepContext): Promise<StepResult> {
  const {step, journal, plan} = ctx
  const from = step.from
  if (from === undefined) return {ok: false, error: `step ${step.id} has no \`from\`: the plan is malformed`}
  let refused: string | null = null
  await journal.update((state) => {
    refused = renameRecord(state, from, step.name)
  })
  if (refused !== null) return {ok: false, error: `cannot move ${from} to ${step.name}: ${refused}`}
  try {
    await renameLogs(plan.source.stateDir, step.type, from, step.name)
  } catch (error) {
    return {ok: true, message: `renamed ${from} to ${step.name}; its log stays under the old name (${(error as Error).message})`}
  }
  return {ok: true, message: `renamed ${from} to ${step.name}`}
}
