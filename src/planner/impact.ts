import schema from '../../schemas/compctl.schema.json' with {type: 'json'}

/** What a change of a field does: read from the schema's `x-compctl-impact`, never hard-coded. */
export type Impact = 'restart' | 'reload' | 'none' | 'rerun'

type Properties = Record<string, {'x-compctl-impact'?: Impact}>

function impactsOf(properties: Properties): ReadonlyMap<string, Impact> {
  return new Map(Object.entries(properties).map(([field, def]) => [field, def['x-compctl-impact'] ?? 'restart']))
}

export const componentImpacts = impactsOf(schema.$defs.component.properties as Properties)
export const changeImpacts = impactsOf(schema.$defs.change.properties as Properties)

const RANK: Record<Impact, number> = {none: 0, reload: 1, rerun: 2, restart: 3}

export function strongest(impacts: Iterable<Impact>): Impact {
  let best: Impact = 'none'
  for (const impact of impacts) if (RANK[impact] > RANK[best]) best = impact
  return best
}
