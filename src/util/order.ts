/**
 * Plain code-unit order: unlike localeCompare, the same on every machine and locale, and it needs
 * no ICU collator (building one costs ~5 ms, a tenth of a command's start-up).
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
