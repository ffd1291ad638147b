import type {ApplyView} from '../apply-view.js'
import type {StatusWatchOptions} from './status-watch.js'
import type {InkViewOptions} from './view.js'

export type {InkViewOptions} from './view.js'

/**
 * The Ink view of a run in a terminal. This module is the way in to Ink and React: import it
 * lazily (`await import('./ink/index.js')`) on the terminal path only, so `plan`, `status`
 * and runs without a terminal never load them.
 */
export async function createInkView(options: InkViewOptions): Promise<ApplyView> {
  const {mountInkView} = await withProductionReact(() => import('./view.js'))
  return mountInkView(options)
}

/** `compctl status --watch`: the live table, until q or Ctrl-C. */
export async function watchStatusInk(options: StatusWatchOptions): Promise<void> {
  const {runStatusWatch} = await withProductionReact(() => import('./view.js'))
  await runStatusWatch(options)
}

/**
 * React loads its development build (several times slower per frame: extra checks, render
 * timings) unless NODE_ENV is `production` when it is first loaded. Set it only while loading,
 * and only if the user did not choose: the processes compctl starts inherit the environment.
 */
async function withProductionReact<T>(load: () => Promise<T>): Promise<T> {
  if (process.env.NODE_ENV !== undefined) return load()
  process.env.NODE_ENV = 'production'
  try {
    return await load()
  } finally {
    delete process.env.NODE_ENV
  }
}
