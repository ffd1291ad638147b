import {colourWanted, palette} from '../util/colour.js'
import type {ApplyView} from './apply-view.js'
import {NdjsonView, PlainView} from './plain-view.js'

/**
 * NDJSON with --json; the Ink view in an interactive terminal; plain lines otherwise (no
 * terminal, or under CI). Ink and React load only on the terminal path.
 */
export async function chooseApplyView(options: {json: boolean; color: boolean | undefined; title?: string}): Promise<ApplyView> {
  if (options.json) return new NdjsonView(process.stdout)
  const colour = colourWanted(process.stdout, options.color === false) && options.color !== false
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false'
  if (process.stdout.isTTY && process.stdin.isTTY && !ci) {
    const {createInkView} = await import('./ink/index.js')
    return createInkView({stdout: process.stdout, stdin: process.stdin, colour, ...(options.title ? {title: options.title} : {})})
  }
  return new PlainView(process.stdout, process.stdin, palette(colour), options.title)
}
