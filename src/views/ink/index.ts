import type {ApplyView} from '../apply-view.js'
import type {StatusWatchOptions} from './status-watch.js'
import type {InkViewOptions} from './view.js'

export type {InkViewOptions} from './view.js'

/*
 * This module is the way in to Ink and React: import it lazily (`await import('./ink/index.js')`)
 * on the terminal path only, so `plan`, `status` and runs without a terminal never load them.
 * They load from dist/ink-view.js, built with React's production build (scripts/build.mjs).
 */

/** The Ink view of a run in a terminal. */
export async function createInkView(options: InkViewOptions): Promise<ApplyView> {
  const {mountInkView} = await import('./view.js')
  return mountInkView(options)
}

/** `compctl status --watch`: the live table, until q or Ctrl-C. */
export async function watchStatusInk(options: StatusWatchOptions): Promise<void> {
  const {runStatusWatch} = await import('./view.js')
  await runStatusWatch(options)
}
