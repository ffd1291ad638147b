import {setFlagsFromString} from 'node:v8'

/**
 * V8 hands a function that runs hot to its optimising compiler (TurboFan), which compiles it on a
 * background thread. For yaml's lexer on a file of a hundred components that is ~50 ms of CPU,
 * spent while the parse is already ending: compctl exits long before the optimised code would pay
 * for itself, and on a host with two cores the compiler takes the core the process's own I/O
 * threads need (a no-op apply of 100 components: ~14 ms of wall time, ~25 ms of CPU).
 *
 * So CPU-heavy work that a command does once runs with V8's tier-up delayed: a function must run
 * ten times as long before it is optimised. Work that runs for seconds (a 10,000-component file)
 * is still optimised, a little later.
 *
 * The flag is set only around the work and set back after it. V8 accepts a code cache (Node's own
 * modules come with one) only under the flags it was made with, so a module loaded while the flag
 * is changed compiles from source: the work must not load modules. The values are those of
 * Node 20's V8 (11.3), where this was measured; another V8 may name or count its tiers otherwise,
 * and gets the work as it is.
 */
// With TurboFan back, WebAssembly's tier-up too (see withBaselineWasm).
const OPTIMISING = '--turbofan --wasm-tier-up --wasm-dynamic-tiering'
const NOT_OPTIMISING = '--no-turbofan'
const TIER_UP_TICKS = '--ticks-before-optimization=3'
const LATE_TIER_UP_TICKS = '--ticks-before-optimization=30'
const WASM_BASELINE_ONLY = '--liftoff-only'
const WASM_BASELINE_FIRST = '--no-liftoff-only'
/** Whether this is the V8 the flags here were measured on (Node 20's); elsewhere these functions leave V8 alone. */
export const tuningApplies = /^11\.3\./.test(process.versions.v8)

export function withLateOptimisation<T>(work: () => T): T {
  return withFlags(LATE_TIER_UP_TICKS, TIER_UP_TICKS, work)
}

/**
 * Compiles the WebAssembly that `work` compiles with V8's baseline compiler (Liftoff) only. For
 * yoga, Ink's layout engine, compiled as the Ink view loads: its layout functions run hot from the
 * first frames, and V8 spent ~20 ms of a second core optimising them while the run being drawn
 * was starting its processes (a terminal apply of 10 components: ~10 ms of wall time). A layout
 * of a screenful of rows takes microseconds on baseline code.
 *
 * --liftoff-only turns WebAssembly's tier-up off with it, and setting it back leaves tier-up off.
 * Turned on again at once, tier-up cost more than it does untouched (V8's threads: ~75 ms of CPU,
 * against ~50 untouched and ~30 this way); it comes back with TurboFan at the end of the view's
 * first second (withoutOptimisation). Until then, a module loaded compiles without its code cache,
 * as under withoutOptimisation.
 */
export function withBaselineWasm<T>(work: () => T): T {
  return withFlags(WASM_BASELINE_ONLY, WASM_BASELINE_FIRST, work)
}

/** `work` run with V8's flags `during` set, and `after` set once it returns or throws. */
function withFlags<T>(during: string, after: string, work: () => T): T {
  if (!tuningApplies) return work()
  setFlagsFromString(during)
  try {
    return work()
  } finally {
    setFlagsFromString(after)
  }
}

/**
 * Turns V8's optimising compiler off for `forMs`, or until the returned function is called (it can
 * be called more than once). For the first frames of the Ink view: React's reconciler and Ink's
 * renderer run hot at once, and V8 optimised a few of their largest functions, ~50 ms of a second
 * core while the run it draws was starting its processes (a terminal apply of 10 components: ~30 ms
 * of wall time). Delaying the tier-up does not help there: those functions are hot enough anyway.
 * As above, nothing loaded meanwhile uses a code cache.
 */
export function withoutOptimisation(forMs: number): () => void {
  if (!tuningApplies) return () => {}
  setFlagsFromString(NOT_OPTIMISING)
  let restored = false
  const restore = (): void => {
    if (restored) return
    restored = true
    clearTimeout(timer)
    setFlagsFromString(OPTIMISING)
  }
  const timer = setTimeout(restore, forMs)
  timer.unref()
  return restore
}
