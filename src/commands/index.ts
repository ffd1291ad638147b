import Apply from './apply.js'
import Destroy from './destroy.js'
import Plan from './plan.js'
import Schema from './schema.js'
import Show from './show.js'
import Validate from './validate.js'
import ForceUnlock from './force-unlock.js'
import Logs from './logs.js'
import Status from './status.js'
import Locks from './locks.js'
import LocksRelease from './locks/release.js'
import Supervise from './supervise.js'
import Graph from './graph.js'
import StartupSystemd from './startup/systemd.js'
import Autocomplete from './autocomplete/index.js'
import AutocompleteScript from './autocomplete/script.js'
import StateList from './state/list.js'
import StateShow from './state/show.js'
import StateMv from './state/mv.js'
import StateRm from './state/rm.js'
import StatePull from './state/pull.js'
import StatePush from './state/push.js'
import Import from './import.js'

/** Every command, for oclif's explicit command discovery (one bundled module, no directory scan). */
export const COMMANDS = {
  apply: Apply,
  destroy: Destroy,
  plan: Plan,
  schema: Schema,
  show: Show,
  validate: Validate,
  'force-unlock': ForceUnlock,
  logs: Logs,
  status: Status,
  locks: Locks,
  'locks:release': LocksRelease,
  supervise: Supervise,
  graph: Graph,
  'startup:systemd': StartupSystemd,
  autocomplete: Autocomplete,
  'autocomplete:script': AutocompleteScript,
  'state:list': StateList,
  'state:show': StateShow,
  'state:mv': StateMv,
  'state:rm': StateRm,
  'state:pull': StatePull,
  'state:push': StatePush,
  import: Import,
}
