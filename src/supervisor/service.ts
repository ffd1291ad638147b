import {loadResolved, type InputSources} from '../config/resolve.js'
import {formatProblem} from '../errors.js'
import {eventEmitter} from '../executor/events.js'
import type {CompctlPlan} from '../model/generated/plan.js'
import {adoptOrphans, openJournal} from '../services/apply-service.js'
import {openLockedState, secretKeyOf} from '../state/open.js'
import type {ApplyView} from '../views/apply-view.js'
import {Supervisor} from './supervisor.js'

export interface SuperviseRequest {
  file: string
  inputs: InputSources
  parallelism?: number
  /** How long to wait for the state lock; 0 fails at once. */
  stateLockTimeoutMs: number
  /** How long a step waits for its named lock; unbounded when absent. */
  lockTimeoutMs?: number
  /** Which instance's state (default: settings.instance, else the host name). */
  instance?: string
  onNote?: (message: string) => void
  /** Shows a plan the file asks for before it runs (the view shows its progress). */
  onPlan?: (plan: CompctlPlan) => void
}

/**
 * `compctl supervise`: holds the state lock for the whole run (operation "supervise"), applies
 * the file without asking, then supervises until SIGTERM/SIGINT (exit 0 once everything is
 * stopped) or until the system goes down (exit 1). SIGHUP re-reads the file.
 */
export async function supervise(request: SuperviseRequest, view: ApplyView): Promise<number> {
  try {
    const config = await loadResolved(request.file, request.inputs, secretKeyOf({instance: request.instance}))
    for (const warning of config.warnings) request.onNote?.(formatProblem(warning))
    const locked = await openLockedState(config, {
      operation: 'supervise',
      timeoutMs: request.stateLockTimeoutMs,
      instance: request.instance,
      onNote: request.onNote,
    })
    try {
      const {store} = locked.backend
      const state = await adoptOrphans(store)
      const supervisor = new Supervisor({
        file: request.file,
        inputs: request.inputs,
        key: () => locked.backend.secretKey(),
        config,
        journal: openJournal(store, state, config.project),
        emit: eventEmitter([(event) => view.onEvent(event)]),
        ...(request.parallelism !== undefined ? {parallelism: request.parallelism} : {}),
        ...(request.lockTimeoutMs !== undefined ? {lockTimeoutMs: request.lockTimeoutMs} : {}),
        ...(request.onPlan ? {onPlan: request.onPlan} : {}),
      })
      const stop = () => supervisor.stop()
      const reload = () => supervisor.reload()
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
      process.on('SIGHUP', reload)
      try {
        return await supervisor.run()
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        process.off('SIGHUP', reload)
      }
    } finally {
      await locked.release()
    }
  } finally {
    await view.close()
  }
}
