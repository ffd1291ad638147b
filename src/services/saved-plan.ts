import validatePlan from '../model/generated/validate-plan.js'
import type {CompctlPlan} from '../model/generated/plan.js'
import {UserError} from '../errors.js'
import {specHash} from '../util/canonical.js'
import type {LoadedConfig} from '../config/load.js'
import type {CompctlFile} from '../model/generated/compctl.js'
import {readInputFile} from '../util/read-input.js'

/** Plans are a few hundred KB at most; the limit only bounds a wrong file. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024

/** Reads a plan saved by `compctl plan --out`, checking it against schemas/plan.schema.json. */
export async function readSavedPlan(path: string): Promise<CompctlPlan> {
  const text = (await readInputFile(path, 'the saved plan', MAX_PLAN_BYTES)).toString('utf8')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new UserError(`${path}: not a saved plan: ${(error as Error).message}`, {hint: 'Save one with: compctl plan --out FILE'})
  }
  const version = (data as {format_version?: unknown} | null)?.format_version
  if (version !== undefined && version !== '1')
    throw new UserError(`${path}: plan format_version ${JSON.stringify(version)} is not supported by this compctl (it reads "1")`)
  if (!validatePlan(data)) {
    const first = validatePlan.errors?.[0]
    throw new UserError(`${path}: not a saved plan: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trimEnd(), {hint: 'Save one with: compctl plan --out FILE'})
  }
  const plan = data as CompctlPlan
  // A plan printed with --json shows sensitive values as (sensitive): run, it would give processes that text.
  if (plan.inputs && plan.steps.some((step) => specHash(step.spec) !== step.specHash))
    throw new UserError(`${path}: its steps' specs do not match their hashes, as in a plan printed with --json, whose sensitive values are blanked out`, {
      hint: 'Save the plan to apply with: compctl plan --out FILE',
    })
  return plan
}

/** What a saved plan keeps of its file: enough to open the same state backend without reading the file again. */
export function savedPlanConfig(plan: CompctlPlan): LoadedConfig {
  const spec: CompctlFile = {version: 1, project: plan.project, settings: plan.settings as CompctlFile['settings']}
  return {file: plan.source.file, baseDir: plan.source.baseDir, project: plan.project, stateDir: plan.source.stateDir, spec, warnings: []}
}
