// Loaded with `node --import` by bench/plan.mjs when GNU time is missing: prints the process's
// peak resident memory (VmHWM) to stderr as it exits.
import {readFileSync, writeSync} from 'node:fs'

process.on('exit', () => {
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  if (peak) writeSync(2, `\nCOMPCTL_BENCH_MAXRSS_KB=${peak[1]}\n`)
})
