// Preload (node --require) for test/e2e/startup-cost.test.ts. With COMPCTL_PROBE_LOG set, writes
// the built-in modules the process loaded to that file at exit; with COMPCTL_PROBE_NO_COLLATOR,
// makes building an ICU collator (localeCompare, Intl.Collator) throw, so a command that does
// fails.
const {writeFileSync} = require('node:fs')

if (process.env.COMPCTL_PROBE_LOG) {
  const log = process.env.COMPCTL_PROBE_LOG
  process.on('exit', () => writeFileSync(log, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join('\n')))
}
if (process.env.COMPCTL_PROBE_NO_COLLATOR) {
  const refuse = () => {
    throw new Error('an ICU collator was built (localeCompare or Intl.Collator)')
  }
  String.prototype.localeCompare = refuse
  Intl.Collator = refuse
}
