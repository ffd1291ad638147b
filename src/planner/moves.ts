import type {CompctlFile} from '../model/generated/compctl.js'
import type {CompctlState} from '../model/generated/state.js'
import type {PathSegment} from '../config/locate.js'

/** A recorded component or change that `moved:` renames. */
export interface RecordMove {
  type: 'component' | 'change'
  from: string
  /** Where the chain of moves from `from` ends (`a → b`, `b → c`: a record `a` becomes `c`). */
  to: string
  /** The entry of `moved` that names the final destination, for messages. */
  index: number
}

/** A `moved` entry that cannot be carried out against this state. */
export interface MoveConflict {
  /** The recorded name the refused move would have renamed. */
  from: string
  path: PathSegment[]
  message: string
}

type MoveEntry = NonNullable<CompctlFile['moved']>[number]

/**
 * The moves `spec.moved` asks of `state`: each recorded `from` followed to the end of its chain.
 * Entries whose `from` is not recorded are ignored. The file is valid (semantic checks refused
 * cycles, two moves to one name and undeclared destinations); what only the state can refuse is
 * returned as conflicts: a destination recorded already, two records ending at one name, a
 * component moved onto a change or the reverse.
 */
export function resolveMoves(spec: CompctlFile, state: CompctlState | null): {moves: RecordMove[]; conflicts: MoveConflict[]} {
  const entries: MoveEntry[] = spec.moved ?? []
  const moves: RecordMove[] = []
  const conflicts: MoveConflict[] = []
  if (entries.length === 0 || state === null) return {moves, conflicts}
  const next = new Map(entries.map((entry, index) => [entry.from, {to: entry.to, index}]))
  const endOf = (name: string): {to: string; index: number} => {
    let at = next.get(name)!
    // Chains end: semantic checks refused cycles. The bound guards a file that skipped them.
    for (let hops = 0; next.has(at.to) && hops < entries.length; hops++) at = next.get(at.to)!
    return at
  }
  const arriving = new Map<string, string>()
  for (const entry of entries) {
    const type = state.components[entry.from] ? 'component' : state.changes[entry.from] ? 'change' : null
    if (type === null) continue
    const {to, index} = endOf(entry.from)
    const where: PathSegment[] = ['moved', index, 'to']
    const recordedTo = state.components[to] ?? state.changes[to]
    const declaredAs = spec.components?.[to] ? 'component' : spec.changes?.[to] ? 'change' : null
    const earlier = arriving.get(to)
    if (recordedTo)
      conflicts.push({
        from: entry.from,
        path: where,
        message: `cannot move ${entry.from} to ${to}: ${to} is recorded already; forget one of them first (compctl state rm NAME), or drop this move`,
      })
    else if (earlier !== undefined)
      conflicts.push({from: entry.from, path: where, message: `both ${earlier} and ${entry.from} are recorded and would become ${to}: forget one of them first (compctl state rm NAME)`})
    else if (declaredAs !== null && declaredAs !== type)
      conflicts.push({from: entry.from, path: where, message: `${entry.from} is a recorded ${type} but ${to} is declared as a ${declaredAs}: a move keeps the kind of record`})
    else {
      arriving.set(to, entry.from)
      moves.push({type, from: entry.from, to, index})
    }
  }
  moves.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0))
  return {moves, conflicts}
}

/** `state` with each move carried out: what the rest of the plan is computed against. A copy; `state` is not changed. */
export function movedState(state: CompctlState, moves: readonly RecordMove[]): CompctlState {
  if (moves.length === 0) return state
  const components = {...state.components}
  const changes = {...state.changes}
  for (const move of moves) {
    const records: Record<string, unknown> = move.type === 'component' ? components : changes
    records[move.to] = records[move.from]
    delete records[move.from]
  }
  return {...state, components, changes}
}
