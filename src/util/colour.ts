import {styleText} from 'node:util'

/** One text style: a colour or a modifier such as bold. */
export type Style = Extract<Parameters<typeof styleText>[0], string>

/** Colours for text views; a no-op when colour is off (NO_COLOR, --no-color, not a terminal). */
export interface Palette {
  enabled: boolean
  paint(style: Style | Style[], text: string): string
}

export function palette(enabled: boolean): Palette {
  // Whether to colour is decided here (colourWanted, --color); Node's own check of the stream would
  // drop single-style colours when --color forces them onto a pipe.
  return {enabled, paint: (style, text) => (enabled ? styleText(style, text, {validateStream: false}) : text)}
}

/** Colour unless NO_COLOR is set (https://no-color.org), --no-color was given, or the stream is no terminal. */
export function colourWanted(stream: NodeJS.WriteStream, noColorFlag: boolean | undefined): boolean {
  if (noColorFlag) return false
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true
}
