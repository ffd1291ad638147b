import {withoutOptimisation} from '../../util/late-optimisation.js'
import type {ApplyView} from '../apply-view.js'
import type {StatusWatchOptions} from './status-watch.js'
import type {InkViewOptions} from './view.js'

export type {InkViewOptions} from './view.js'

/*
 * This module is the way in to Ink and React: import it lazily (`await import('./ink/index.js')`)
 * on the terminal path only, so `plan`, `status` and runs without a terminal never load them.
 * They load from dist/ink-view.cjs, built with React's production build (scripts/build.mjs).
 */

/**
 * Its first second, a view is drawn without V8's optimising compilers (see withoutOptimisation),
 * which also gives WebAssembly its tier-up back (see withBaselineWasm, which yoga is compiled with).
 */
const FIRST_FRAMES_MS = 1000

/** The Ink view of a run in a terminal. */
export async function createInkView(options: InkViewOptions): Promise<ApplyView> {
  const {mountInkView} = await import('./view.js')
  const optimiseAgain = withoutOptimisation(FIRST_FRAMES_MS)
  const view = mountInkView(options)
  return {
    ...view,
    async close() {
      try {
        await view.close()
      } finally {
        optimiseAgain()
      }
    },
  }
}

/** `compctl status --watch`: the live table, until q or Ctrl-C. */
export async function watchStatusInk(options: StatusWatchOptions): Promise<void> {
  const {runStatusWatch} = await import('./view.js')
  const optimiseAgain = withoutOptimisation(FIRST_FRAMES_MS)
  try {
    await runStatusWatch(options)
  } finally {
    optimiseAgain()
  }
}
