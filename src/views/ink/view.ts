import {render, type Instance} from 'ink'
import {createElement} from 'react'
import type {CompctlEvent} from '../../model/generated/events.js'
import type {CompctlPlan} from '../../model/generated/plan.js'
import type {ApplyView} from '../apply-view.js'
import {App, type Printed, type Screen} from './app.js'
import {emptyModel, reduce} from './reducer.js'

// dist/ink-view.cjs, the one bundle with Ink and React, is built from this module: every Ink view is reached through it.
export {runStatusWatch} from './status-watch.js'

/** Frames per second at most: enough for a spinner, little enough for a plan of hundreds of steps. */
const FPS = 10
/**
 * Ink's own frame limit: none (0), since the view limits its frames itself (FPS). Ink's throttle
 * keeps a timer of its window running after the last frame (its flush on unmount does not clear
 * it), which delayed the process's exit by up to a window: ~34 ms at Ink's default of 30 FPS.
 * A short window of 1 ms or more lets a frame wait for its window behind a later write of static
 * output (a frame appended instead of redrawn); with none, Ink writes every frame as it renders.
 */
const INK_MAX_FPS = 0

export interface InkViewOptions {
  stdout: NodeJS.WriteStream
  stdin: NodeJS.ReadStream
  colour: boolean
  /** Names the run in the header and the summary: `Apply` (default), `Destroy`, `Supervise`. */
  title?: string
}

/**
 * The terminal view of apply, destroy and supervise. Events go through the pure reducer at
 * once; the screen is redrawn from the latest model at most FPS times a second, so a burst of
 * events costs one frame. Ink's first frame is drawn on the first confirm() or event.
 */
export function mountInkView(options: InkViewOptions): ApplyView {
  const {stdout, stdin, colour} = options
  const title = options.title ?? 'Apply'
  let screen: Screen = {printed: [], model: emptyModel(), now: Date.now(), width: stdout.columns || 80, height: stdout.rows || undefined}
  let model = screen.model
  let instance: Instance | undefined
  let ticker: NodeJS.Timeout | undefined
  let pendingAnswer: ((value: string) => void) | undefined

  // Ink's rerender is synchronous: once `show` returns, the next frame holds the change.
  const show = (change: Partial<Screen>): void => {
    screen = {...screen, model, now: Date.now(), ...change}
    const app = createElement(App, {screen, colour, title})
    if (instance) instance.rerender(app)
    else instance = render(app, {stdout, stdin, exitOnCtrlC: false, patchConsole: false, maxFps: INK_MAX_FPS})
  }
  const print = (printed: Printed): Printed[] => [...screen.printed, printed]
  const onResize = (): void => show({width: stdout.columns || 80, height: stdout.rows || undefined})
  stdout.on('resize', onResize)

  return {
    confirm(plan: CompctlPlan): Promise<boolean> {
      const destroy = plan.options.destroy
      return new Promise((resolve) => {
        pendingAnswer = (value) => {
          pendingAnswer = undefined
          show({prompt: undefined, printed: print({kind: 'answer', destroy, value})})
          resolve(value.trim() === 'yes')
        }
        show({printed: print({kind: 'plan', plan}), prompt: {destroy, onAnswer: pendingAnswer}})
      })
    },

    onEvent(event: CompctlEvent): void {
      // supervise runs one plan after another: an earlier run's summary stays printed above.
      const earlier = event.type === 'plan' ? model.summary : undefined
      model = reduce(model, event, Date.now())
      if (earlier) show({printed: print({kind: 'run', summary: earlier})})
      else if (!instance) show({})
      if (!ticker) {
        // Ticks move the spinner and elapsed times; a finished run has nothing left to move.
        ticker = setInterval(() => {
          if (model !== screen.model || model.summary === undefined) show({})
        }, 1000 / FPS)
        ticker.unref()
      }
    },

    async close(): Promise<void> {
      if (ticker) clearInterval(ticker)
      ticker = undefined
      pendingAnswer?.('')
      stdout.off('resize', onResize)
      if (!instance) return
      // A finished run's last frame is printed for good (Ink's <Static>) but for its summary, the
      // only live part left: Ink's unmount then draws no frame of its own, which would be this one
      // again (~10 ms of a terminal apply).
      if (model.summary) show({printed: print({kind: 'last', frame: {model, now: Date.now(), width: screen.width, height: screen.height}}), closed: true})
      else show({})
      instance.unmount()
      await instance.waitUntilExit()
    },
  }
}
