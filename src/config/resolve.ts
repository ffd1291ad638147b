import {extname, resolve} from 'node:path'
import {parse as parseDotenv} from 'dotenv'
import {parse as parseYaml} from 'yaml'
import {UserError} from '../errors.js'
import type {Variable} from '../model/generated/compctl.js'
import {keyedHash, markerFor, secrets} from '../secrets/secrets.js'
import {sha256} from '../util/canonical.js'
import {readInputFile} from '../util/read-input.js'
import {loadConfigOrThrow, type LoadedConfig} from './load.js'
import {suggestion} from './schema-messages.js'
import {substitute, typeOf, usesInputs, valueText, type VariableValue} from './variables.js'

/** Where variable values come from, besides defaults and COMPCTL_VAR_* (read from the environment). */
export interface InputSources {
  /** `--var-file FILE`, in the order given. */
  varFiles: string[]
  /** `--var NAME=VALUE`, in the order given. */
  vars: string[]
}

/** A loaded file with its variables and env files resolved. */
export interface ResolvedConfig extends LoadedConfig {
  /**
   * A hash of each input the spec was made from (`var.NAME`, `envFile:COMPONENT:FILE`): a saved
   * plan records them, and is stale when one differs. Sensitive ones are keyed by the state's secret key.
   */
  inputs: Record<string, string>
}

const MAX_INPUT_BYTES = 1024 * 1024
const ENV_PREFIX = 'COMPCTL_VAR_'

/**
 * `validate` checks values without them; everything else substitutes them. The state's secret key
 * is asked for only when a sensitive value or an env file needs it: getting it may mean reaching
 * the state backend (etcd), which a file without secrets never waits for.
 */
export type ResolveOptions = {requireValues: false} | {requireValues: true; key: () => Promise<Buffer>}

/**
 * Loads the desired file and resolves it: what plan, apply, destroy and supervise run on. `key`
 * gives the state's secret key for the file's state backend (see secretKeyOf in state/open.ts).
 */
export async function loadResolved(file: string, sources: InputSources, key: (config: LoadedConfig) => Promise<Buffer>): Promise<ResolvedConfig> {
  const config = await loadConfigOrThrow(file)
  return resolveInputs(config, sources, {requireValues: true, key: () => key(config)})
}

/**
 * Gathers the values (default < each --var-file < COMPCTL_VAR_<name> < each --var), substitutes
 * them and `${env.…}`, and reads env files. Sensitive values enter the spec as markers and are
 * registered with `secrets`; every problem with the values is reported at once, naming its source.
 * Without `requireValues` (validate) a variable with no value is not an error and nothing is substituted.
 */
export async function resolveInputs(config: LoadedConfig, sources: InputSources, options: ResolveOptions): Promise<ResolvedConfig> {
  const declared = config.spec.variables ?? {}
  if (!usesInputs(config.spec) && sources.varFiles.length === 0 && sources.vars.length === 0) return {...config, inputs: {}}
  const {values, problems} = await collectValues(declared, sources, process.env)
  if (options.requireValues) {
    for (const [name, declaration] of Object.entries(declared)) {
      if (Object.hasOwn(values, name)) continue
      const about = declaration.description ? ` (${declaration.description})` : ''
      problems.push(
        `${config.file}: variable "${name}"${about} has no value: give one with --var ${name}=VALUE, an entry in a --var-file, or the environment variable ${ENV_PREFIX}${name}`,
      )
    }
  }
  if (problems.length > 0) throw new UserError(problems)
  if (!options.requireValues) return {...config, inputs: {}}

  const sensitive = Object.entries(declared).filter(([name, d]) => d.sensitive === true && Object.hasOwn(values, name))
  const hasEnvFiles = Object.values(config.spec.components ?? {}).some((c) => (c.envFile?.length ?? 0) > 0)
  const key = sensitive.length > 0 || hasEnvFiles ? await options.key() : null
  const inputs: Record<string, string> = {}
  const markers = new Map<string, string>()
  for (const [name, value] of Object.entries(values)) {
    const text = valueText(value)
    if (declared[name]!.sensitive === true) {
      const marker = markerFor(key!, text)
      secrets.add(marker, text)
      markers.set(name, marker)
      inputs[`var.${name}`] = 'hmac:' + keyedHash(key!, text).slice(0, 32)
    } else {
      inputs[`var.${name}`] = 'sha256:' + sha256(text).slice(0, 32)
    }
  }

  const substituted = substitute(config.spec, {values, sensitiveText: (name) => markers.get(name), env: process.env})
  if (substituted.problems.length > 0) throw new UserError(substituted.problems.map((p) => `${config.file}: ${p.path}: ${p.message}`))
  const spec = substituted.spec
  for (const [name, component] of Object.entries(spec.components ?? {})) {
    if (!component.envFile || component.envFile.length === 0) continue
    const fromFiles: Record<string, string> = {}
    for (const [index, file] of component.envFile.entries()) {
      const content = await readInputFile(resolve(config.baseDir, file), `the env file of component ${name}`, MAX_INPUT_BYTES)
      inputs[`envFile:${name}:${file}`] = 'hmac:' + keyedHash(key!, content.toString('utf8')).slice(0, 32)
      for (const [variable, value] of Object.entries(parseDotenv(content))) {
        const marker = markerFor(key!, value, index)
        secrets.add(marker, value)
        fromFiles[variable] = marker
      }
    }
    spec.components![name] = {...component, env: {...fromFiles, ...component.env}}
  }
  return {...config, spec, inputs}
}

async function collectValues(
  declared: Record<string, Variable>,
  sources: InputSources,
  env: NodeJS.ProcessEnv,
): Promise<{values: Record<string, VariableValue>; problems: string[]}> {
  // No prototype: a variable may be called __proto__.
  const values: Record<string, VariableValue> = Object.create(null) as Record<string, VariableValue>
  const problems: string[] = []
  for (const [name, declaration] of Object.entries(declared)) if (declaration.default !== undefined) values[name] = declaration.default
  const undeclared = (name: string) => `"${name}" is not a declared variable${suggestion(name, Object.keys(declared))}; declare it under \`variables:\``
  const shown = (name: string, value: unknown) => (declared[name]?.sensitive ? '(sensitive)' : JSON.stringify(value))

  for (const file of sources.varFiles) {
    const data = await readVarFile(file)
    for (const [name, value] of Object.entries(data)) {
      if (!Object.hasOwn(declared, name)) problems.push(`--var-file ${file}: ${undeclared(name)}`)
      else if (typeof value !== typeOf(declared[name]!)) problems.push(`--var-file ${file}: ${name}: ${shown(name, value)} is not a ${typeOf(declared[name]!)}`)
      else values[name] = value as VariableValue
    }
  }
  for (const name of Object.keys(declared)) {
    const text = env[ENV_PREFIX + name]
    if (text === undefined) continue
    const value = fromText(text, typeOf(declared[name]!))
    if (value === undefined) problems.push(`${ENV_PREFIX}${name}: ${shown(name, text)} is not a ${typeOf(declared[name]!)}`)
    else values[name] = value
  }
  for (const pair of sources.vars) {
    const at = pair.indexOf('=')
    if (at <= 0) {
      problems.push(`--var ${pair.split('=')[0]}: write --var NAME=VALUE`)
      continue
    }
    const name = pair.slice(0, at)
    const text = pair.slice(at + 1)
    if (!Object.hasOwn(declared, name)) {
      problems.push(`--var ${name}: ${undeclared(name)}`)
      continue
    }
    const value = fromText(text, typeOf(declared[name]!))
    if (value === undefined) problems.push(`--var ${name}: ${shown(name, text)} is not a ${typeOf(declared[name]!)}${typeOf(declared[name]!) === 'boolean' ? ' (true or false)' : ''}`)
    else values[name] = value
  }
  return {values, problems}
}

/** A value given as text (the environment, --var) read as its variable's type; undefined when it is not one. */
function fromText(text: string, type: NonNullable<Variable['type']>): VariableValue | undefined {
  if (type === 'string') return text
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : undefined
}

async function readVarFile(file: string): Promise<Record<string, unknown>> {
  const text = (await readInputFile(file, 'the var file', MAX_INPUT_BYTES)).toString('utf8')
  const json = extname(file).toLowerCase() === '.json'
  let data: unknown
  try {
    data = json ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new UserError(`--var-file ${file}: not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`)
  }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) throw new UserError(`--var-file ${file}: expected an object of variable name → value`)
  return data as Record<string, unknown>
}
