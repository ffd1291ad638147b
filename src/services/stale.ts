import {resolve} from 'node:path'
import type {CompctlPlan} from '../model/generated/plan.js'
import type {CompctlState} from '../model/generated/state.js'
import {hashWatchedFile} from './plan-service.js'

const show = (value: unknown) => (value === null || value === undefined ? 'nothing' : JSON.stringify(value))

/**
 * Why a saved plan may no longer run: another lineage, already applied, or something one of
 * its steps touches changed since it was made. Only what the steps touch counts: an
 * unrelated apply in between does not make a plan stale.
 */
export async function staleReasons(plan: CompctlPlan, state: CompctlState | null, inputs?: Record<string, string>): Promise<string[]> {
  const reasons: string[] = inputReasons(plan.inputs ?? {}, inputs ?? {})
  const lineage = state?.lineage ?? null
  if (plan.lineage !== lineage) {
    reasons.push(
      plan.lineage === null
        ? `a state (lineage ${lineage}) was created after the plan was made`
        : `the plan was made for state lineage ${plan.lineage}, but the state is ${lineage === null ? 'gone' : `lineage ${lineage}`}`,
    )
    return reasons
  }
  if (state?.appliedPlans?.includes(plan.id)) {
    reasons.push(`plan ${plan.id} was already applied; a saved plan runs once`)
    return reasons
  }
  // A step after a move acts on the moved record, which is still under its old name until the move runs.
  const movedFrom = new Map(plan.steps.filter((s) => s.action === 'move' && s.from !== undefined).map((s) => [s.name, s.from!]))
  for (const step of plan.steps) {
    const name = movedFrom.get(step.name) ?? step.name
    const recorded = step.type === 'component' ? state?.components[name] : state?.changes[name]
    const now = {
      specHash: recorded?.specHash ?? null,
      status: recorded?.status ?? null,
      pid: (recorded as {pid?: number | null} | undefined)?.pid ?? null,
      startTime: (recorded as {startTime?: number | null} | undefined)?.startTime ?? null,
    }
    for (const field of ['specHash', 'status', 'pid', 'startTime'] as const) {
      if (step.assumes[field] !== now[field]) reasons.push(`${step.id}: ${field} was ${show(step.assumes[field])} when planned, now ${show(now[field])}`)
    }
    for (const [file, hash] of Object.entries(step.assumes.watched ?? {})) {
      const current = await hashWatchedFile(resolve(plan.source.baseDir, file), `the watched file ${file} of ${step.id}`)
      if (current !== hash) reasons.push(`${step.id}: watched file ${file} changed since the plan was made`)
    }
  }
  return reasons
}

/** Variables and env files whose value now differs from the plan's: named, never shown. */
function inputReasons(planned: Record<string, string>, now: Record<string, string>): string[] {
  const reasons: string[] = []
  for (const key of [...new Set([...Object.keys(planned), ...Object.keys(now)])].sort()) {
    if (planned[key] === now[key]) continue
    if (key.startsWith('var.')) reasons.push(`variable ${key.slice(4)}: its value differs from the one the plan was made with`)
    else {
      // envFile:COMPONENT:FILE — a component name holds no colon.
      const [, component, ...file] = key.split(':')
      reasons.push(`env file ${file.join(':')} of component ${component} ${now[key] === undefined ? 'is no longer used' : 'changed'} since the plan was made`)
    }
  }
  return reasons
}
