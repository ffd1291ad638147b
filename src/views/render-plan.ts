import type {CompctlPlan} from '../model/generated/plan.js'
import type {Palette} from '../util/colour.js'
import {renderPlanMarkdown} from './plan-markdown.js'
import {renderPlanText} from './plan-text.js'

export const PLAN_FORMATS = ['text', 'json', 'markdown'] as const
export type PlanFormat = (typeof PLAN_FORMATS)[number]

export function renderPlan(plan: CompctlPlan, format: PlanFormat, colour: Palette): string {
  if (format === 'json') return JSON.stringify(plan, null, 2) + '\n'
  if (format === 'markdown') return renderPlanMarkdown(plan)
  return renderPlanText(plan, colour)
}
