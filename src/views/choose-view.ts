import {colourWanted, palette} from '../util/colour.js'
import type {ApplyView} from './apply-view.js'
import {NdjsonView, PlainView} from './plain-view.js'

/** NDJSON with --json; plain lines without a terminal (or under CI). */
export async function chooseApplyView(options: {json: boolean; color: boolean | undefined}): Promise<ApplyView> {
  if (options.json) return new NdjsonView(process.stdout)
  const colour = palette(colourWanted(process.stdout, options.color === false))
  return new PlainView(process.stdout, process.stdin, colour)
}
