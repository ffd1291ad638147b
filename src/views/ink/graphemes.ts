import {COMMON} from './narrow-width.js'

/*
 * Ink splits every line of every frame into grapheme clusters (`@alcalzone/ansi-tokenize`, and
 * `slice-ansi` when it cuts a line), each with an `Intl.Segmenter` made when its module loads. The
 * first Intl object of a process starts ICU: ~7 ms of each run in a terminal. The view's text is
 * nearly always ASCII, colour codes and a few symbols, where each UTF-16 unit is a cluster of its
 * own; the build (scripts/build.mjs) gives both modules this segmenter, which answers those lines
 * itself and hands any other to a real `Intl.Segmenter`, made at the first such line.
 */

/**
 * Text made only of these is one grapheme cluster per UTF-16 unit (Unicode's UAX #29): ESC is a
 * control, a cluster of its own (GB4, GB5), and none of the others extends, joins or pairs with
 * a neighbour. test/views/ink/graphemes.test.ts checks every pair against Intl.Segmenter.
 */
const SINGLE_UNITS = new RegExp(`^[\\u001b${COMMON}\\u2714\\u2716]*$`)

/** Whether every UTF-16 unit of `text` is a grapheme cluster of its own, by the characters it is made of. */
export function isUnitPerGrapheme(text: string): boolean {
  return SINGLE_UNITS.test(text)
}

interface Segment {
  segment: string
  index: number
  input: string
}
/** What the two modules use of a segmenter. */
export interface GraphemeSegmenter {
  segment(text: string): Iterable<Segment> & {containing(index?: number): Segment | undefined}
}

/** `Intl.Segmenter.prototype.segment`'s answer for text of SINGLE_UNITS: a segment per UTF-16 unit. */
class SingleUnitSegments implements Iterable<Segment> {
  constructor(private readonly input: string) {}

  containing(index = 0): Segment | undefined {
    const at = Math.trunc(index) || 0
    return at >= 0 && at < this.input.length ? this.at(at) : undefined
  }

  *[Symbol.iterator](): Iterator<Segment> {
    for (let index = 0; index < this.input.length; index++) yield this.at(index)
  }

  private at(index: number): Segment {
    return {segment: this.input.charAt(index), index, input: this.input}
  }
}

/** A grapheme segmenter that makes a real `Intl.Segmenter` only for text that needs one. */
export function graphemeSegmenter(): GraphemeSegmenter {
  let real: Intl.Segmenter | undefined
  return {
    segment(text) {
      if (isUnitPerGrapheme(text)) return new SingleUnitSegments(text)
      real ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'})
      return real.segment(text)
    },
  }
}
