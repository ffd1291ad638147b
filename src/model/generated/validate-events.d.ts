/* Generated from schemas/ by scripts/gen-types.mjs: do not edit. */
import type {ValidateFunction} from 'ajv'
declare const validate: ValidateFunction
export default validate
