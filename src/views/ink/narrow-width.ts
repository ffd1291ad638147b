/**
 * Ink measures every piece of text it lays out with `string-width`, whose first measure of a
 * non-ASCII character compiles a regular expression of every emoji: ~15 ms of each terminal run,
 * for the few symbols the view draws (✔ █ ⠋ ─ …), each one column wide. The build gives each copy
 * of `string-width` in the view this answer first, and the copy's own for the rest.
 */

/** Characters every checked version of `string-width` measures as one column: printable ASCII, and the symbols the view draws. */
export const COMMON = '\\u0020-\\u007e\\u00b7\\u2014\\u2026\\u2190\\u2192\\u21b7\\u2500-\\u259f\\u29d7\\u2800-\\u28ff'
/**
 * By major version of `string-width`, the characters it measures as one column, each (test/views/ink/
 * narrow-width.test.ts checks every one against each copy). Version 7 counts ✔ and ✖, which can
 * also be emoji, as two.
 */
const NARROW: Record<number, RegExp> = {
  7: new RegExp(`^[${COMMON}]*$`),
  8: new RegExp(`^[${COMMON}\\u2714\\u2716]*$`),
}
/** Select Graphic Rendition (colours, bold): no width. */
const SGR = /\u001b\[[0-9;]*m/g

export interface WidthOptions {
  ambiguousIsNarrow?: boolean
  countAnsiEscapeCodes?: boolean
}

/**
 * The columns `text` takes, as `string-width` of major version `version` counts them, when it is
 * made of characters that version counts as one column each, and colour codes; otherwise undefined.
 */
export function narrowWidth(text: string, options: WidthOptions | undefined, version: number): number | undefined {
  const narrow = NARROW[version]
  // Some of these characters are "ambiguous": wide when the caller says so.
  if (!narrow || options?.ambiguousIsNarrow === false || options?.countAnsiEscapeCodes) return undefined
  const visible = text.includes('\u001b') ? text.replace(SGR, '') : text
  return narrow.test(visible) ? visible.length : undefined
}
