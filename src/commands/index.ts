import Plan from './plan.js'
import Schema from './schema.js'
import Show from './show.js'
import Validate from './validate.js'

/** Every command, for oclif's explicit command discovery (one bundled module, no directory scan). */
export const COMMANDS = {
  plan: Plan,
  schema: Schema,
  show: Show,
  validate: Validate,
}
