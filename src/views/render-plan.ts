import type {CompctlPlan} from '../model/generated/plan.js'
import type {Palette} from '../util/colour.js'
import {renderPlanMarkdown} from './plan-markdown.js'
import {renderPlanText} from './plan-text.js'

import type {PlanFormat} from './plan-formats.js'

export {PLAN_FORMATS, type PlanFormat} from './plan-formats.js'

export function renderPlan(plan: CompctlPlan, format: PlanFormat, colour: Palette): string {
  if (format === 'json') return JSON.stringify(plan, null, 2) + '\n'
  if (format === 'markdown') return renderPlanMarkdown(plan)
  return renderPlanText(plan, colour)
}
