import type {CompctlFile, LogRotation} from '../model/generated/compctl.js'

/** How one log is rotated, with every default filled in. */
export interface RotationPolicy {
  maxSize: number
  keep: number
  compress: boolean
}

export const DEFAULT_ROTATION: RotationPolicy = {maxSize: 10 * 1024 * 1024, keep: 5, compress: true}

const UNIT_BYTES: Record<string, number> = {B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3}
const SIZE = /^([0-9]+(?:\.[0-9]+)?)(B|KB|MB|GB)$/

/** Bytes of a size as the file format allows it (`512KB`, `10MB`, `1GB`, a number of bytes); undefined when it is not one. */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined
  const match = SIZE.exec(value.trim())
  return match ? Math.floor(Number(match[1]) * UNIT_BYTES[match[2]!]!) : undefined
}

/** `settings.logs`, then a component's own `logs` on top, field by field. */
export function rotationPolicy(settings: LogRotation | undefined, own?: LogRotation): RotationPolicy {
  const maxSize = own?.maxSize ?? settings?.maxSize
  return {
    maxSize: (maxSize === undefined ? undefined : parseSize(maxSize)) ?? DEFAULT_ROTATION.maxSize,
    keep: own?.keep ?? settings?.keep ?? DEFAULT_ROTATION.keep,
    compress: own?.compress ?? settings?.compress ?? DEFAULT_ROTATION.compress,
  }
}

/** Where rotation settings come from: the file's `settings.logs` and each component's `logs`. */
export interface RotationSettings {
  settings?: LogRotation | undefined
  components: Record<string, {logs?: LogRotation} | undefined>
}

/** The policy of each log: a component's own for its log, `settings.logs` for the rest (change targets, removed components). */
export function policyLookup(source: RotationSettings): (component: string | null) => RotationPolicy {
  const base = rotationPolicy(source.settings)
  return (component) => {
    const own = component === null ? undefined : source.components[component]?.logs
    return own ? rotationPolicy(source.settings, own) : base
  }
}

/** The rotation settings a desired-state file declares. */
export function rotationSettingsOf(spec: CompctlFile): RotationSettings {
  return {settings: spec.settings?.logs, components: spec.components ?? {}}
}
