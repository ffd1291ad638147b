/** The formats a plan renders in; its own module so commands can declare flags without loading the views. */
export const PLAN_FORMATS = ['text', 'json', 'markdown'] as const
export type PlanFormat = (typeof PLAN_FORMATS)[number]
