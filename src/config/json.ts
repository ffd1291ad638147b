import type {PathSegment, SourceNode} from './locate.js'

/** Deeper nesting is refused (JSON and YAML): a desired-state file needs fewer than ten levels. */
export const MAX_NESTING = 256

/** A syntax error: where, in which value (`path`, known when parsed with positions), and for a duplicate key where the first one is. */
export interface JsonSyntaxProblem {
  offset: number
  path: PathSegment[]
  message: string
  firstOffset?: number
}

export type JsonParseResult = {ok: true; value: unknown; root: SourceNode | undefined} | ({ok: false} & JsonSyntaxProblem)

class JsonSyntaxError extends Error {
  constructor(readonly problem: JsonSyntaxProblem) {
    super(problem.message)
  }
}

const LITERALS: ReadonlyArray<readonly [string, boolean | null]> = [
  ['true', true],
  ['false', false],
  ['null', null],
]
/** A backslash or a control character: the string needs the careful path. */
const UNUSUAL_IN_STRING = /[\\\u0000-\u001f]/
const ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}

/** What the parser met instead of what it expected, with the fix for the usual non-JSON habits. */
function unexpected(ch: string | undefined, expected: string): string {
  if (ch === '/') return `unexpected "/": JSON has no comments (a .yaml file may have them)`
  if (ch === "'") return `unexpected "'": JSON strings and keys need double quotes`
  if (ch !== undefined && /[A-Za-z_]/.test(ch)) return `unexpected ${shown(ch)}: ${expected} (JSON strings and keys need double quotes)`
  return `unexpected ${shown(ch)}: ${expected}`
}

function shown(ch: string | undefined): string {
  if (ch === undefined) return 'end of the file'
  const code = ch.charCodeAt(0)
  return code < 0x20 || code === 0x7f ? `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}` : `"${ch}"`
}

/**
 * A strict JSON parser (RFC 8259) that, unlike JSON.parse, refuses duplicate keys, says where
 * a syntax error is, and with `withPositions` records where every key and value starts so a
 * schema problem can be pointed at. Without positions it builds only the value: the fast path
 * for a valid file.
 */
class JsonParser {
  private at = 0
  /** Where the parser is, kept only with positions: it names the value a syntax error is in. */
  private readonly path: PathSegment[] = []
  private readonly numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

  constructor(
    private readonly text: string,
    private readonly withPositions: boolean,
  ) {}

  parse(): {value: unknown; root: SourceNode | undefined} {
    if (this.text.charCodeAt(0) === 0xfeff) this.at = 1
    this.skipSpace()
    const [value, root] = this.value(0)
    this.skipSpace()
    if (this.at < this.text.length) this.fail(unexpected(this.text[this.at], 'the JSON value already ended (one value per file)'))
    return {value, root}
  }

  private fail(message: string, offset = this.at, firstOffset?: number): never {
    throw new JsonSyntaxError({offset, path: [...this.path], message, ...(firstOffset === undefined ? {} : {firstOffset})})
  }

  private skipSpace(): void {
    const text = this.text
    let at = this.at
    for (;;) {
      const c = text.charCodeAt(at)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++
      else break
    }
    this.at = at
  }

  private value(depth: number): [unknown, SourceNode | undefined] {
    const start = this.at
    const c = this.text.charCodeAt(start)
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth >= MAX_NESTING) this.fail(`nested more than ${MAX_NESTING} levels deep: a compctl file needs only a few`)
      return c === 0x7b ? this.object(depth + 1) : this.array(depth + 1)
    }
    const leaf = this.withPositions ? {offset: start} : undefined
    if (c === 0x22 /* " */) return [this.string(), leaf]
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return [this.number(), leaf]
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, start)) {
        this.at += word.length
        return [literal, leaf]
      }
    }
    if (start >= this.text.length) this.fail('unexpected end of the file: a value is missing')
    return this.fail(unexpected(this.text[start], 'expected a value'))
  }

  private object(depth: number): [Record<string, unknown>, SourceNode | undefined] {
    const node: SourceNode | undefined = this.withPositions ? {offset: this.at, entries: new Map()} : undefined
    const out: Record<string, unknown> = {}
    this.at++
    this.skipSpace()
    if (this.text.charCodeAt(this.at) === 0x7d /* } */) {
      this.at++
      return [out, node]
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) !== 0x22) {
        const ch = this.text[this.at]
        this.fail(ch === '}' ? 'unexpected "}": remove the comma before it' : unexpected(ch, 'expected a key in double quotes'))
      }
      const keyOffset = this.at
      const key = this.string()
      if (Object.hasOwn(out, key)) {
        if (node) this.path.push(key)
        this.fail(`duplicate key ${JSON.stringify(key)}: each key may appear once`, keyOffset, node?.entries!.get(key)?.keyOffset)
      }
      this.skipSpace()
      if (this.text.charCodeAt(this.at) !== 0x3a /* : */) this.fail(unexpected(this.text[this.at], `expected ":" after the key ${JSON.stringify(key)}`))
      this.at++
      this.skipSpace()
      if (node) this.path.push(key)
      const [value, child] = this.value(depth)
      if (node) this.path.pop()
      // A plain assignment of "__proto__" would set the prototype instead of a field.
      if (key === '__proto__') Object.defineProperty(out, key, {value, enumerable: true, writable: true, configurable: true})
      else out[key] = value
      if (node && child) node.entries!.set(key, {keyOffset, node: child})
      this.skipSpace()
      const c = this.text.charCodeAt(this.at)
      if (c === 0x2c /* , */) {
        this.at++
        this.skipSpace()
      } else if (c === 0x7d) {
        this.at++
        return [out, node]
      } else this.fail(unexpected(this.text[this.at], `expected "," or "}" after the value of ${JSON.stringify(key)}`))
    }
  }

  private array(depth: number): [unknown[], SourceNode | undefined] {
    const node: SourceNode | undefined = this.withPositions ? {offset: this.at, items: []} : undefined
    const out: unknown[] = []
    this.at++
    this.skipSpace()
    if (this.text.charCodeAt(this.at) === 0x5d /* ] */) {
      this.at++
      return [out, node]
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) === 0x5d) this.fail('unexpected "]": remove the comma before it')
      if (node) this.path.push(out.length)
      const [value, child] = this.value(depth)
      if (node) this.path.pop()
      out.push(value)
      if (node && child) node.items!.push(child)
      this.skipSpace()
      const c = this.text.charCodeAt(this.at)
      if (c === 0x2c) {
        this.at++
        this.skipSpace()
      } else if (c === 0x5d) {
        this.at++
        return [out, node]
      } else this.fail(unexpected(this.text[this.at], 'expected "," or "]" in a list'))
    }
  }

  private string(): string {
    const text = this.text
    const start = ++this.at
    // Fast path, the common case: no escape and no control character before the closing quote.
    const end = text.indexOf('"', start)
    if (end !== -1) {
      const raw = text.slice(start, end)
      if (!UNUSUAL_IN_STRING.test(raw)) {
        this.at = end + 1
        return raw
      }
    }
    let at = start
    let out = ''
    for (;;) {
      const c = text.charCodeAt(at)
      if (c === 0x22) {
        this.at = at + 1
        return out
      }
      if (c === 0x5c) {
        const e = text[at + 1]
        if (e === 'u') {
          const hex = text.slice(at + 2, at + 6)
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('invalid \\u escape: expected four hex digits', at)
          out += String.fromCharCode(parseInt(hex, 16))
          at += 6
        } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
          out += ESCAPES[e]
          at += 2
        } else this.fail(`invalid escape "\\${e ?? ''}" in a string`, at)
        continue
      }
      if (c < 0x20 || Number.isNaN(c)) this.stringFail(at)
      out += text[at]
      at++
    }
  }

  private stringFail(at: number): never {
    if (at >= this.text.length) this.fail('unterminated string: the closing " is missing', this.at - 1)
    return this.fail(`${shown(this.text[at])} inside a string: write it as an escape such as \\n or \\t`, at)
  }

  private number(): number {
    this.numberPattern.lastIndex = this.at
    const match = this.numberPattern.exec(this.text)
    if (!match) this.fail('invalid number')
    this.at += match[0].length
    const next = this.text[this.at]
    if (next !== undefined && /[0-9A-Za-z.+-]/.test(next)) this.fail(`invalid number "${match[0]}${next}…"`, this.at - match[0].length)
    return Number(match[0])
  }
}

/**
 * Parses strict JSON; with `withPositions`, also where each key and value starts. A syntax
 * error is always reported with its path (the file is parsed again, with positions, to find it).
 */
export function parseJson(text: string, withPositions: boolean): JsonParseResult {
  try {
    const {value, root} = new JsonParser(text, withPositions).parse()
    return {ok: true, value, root}
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error
    return withPositions ? {ok: false, ...error.problem} : parseJson(text, true)
  }
}
