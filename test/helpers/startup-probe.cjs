// Preload (node --require) for tests of what a command spends. With COMPCTL_PROBE_LOG set, writes
// the built-in modules the process loaded to that file at exit; with COMPCTL_PROBE_NO_COLLATOR,
// makes building an ICU collator (localeCompare, Intl.Collator) throw, so a command that does
// fails; with COMPCTL_PROBE_ENV_READS=FILE:NAME,NAME..., writes to FILE at exit how often each
// of those environment variables was read (`NAME COUNT` lines).
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
if (process.env.COMPCTL_PROBE_ENV_READS) {
  const [file, names] = process.env.COMPCTL_PROBE_ENV_READS.split(':')
  const reads = new Map(names.split(',').map((name) => [name, 0]))
  const env = process.env
  process.env = new Proxy(env, {
    get(target, name) {
      if (reads.has(name)) reads.set(name, reads.get(name) + 1)
      return Reflect.get(target, name)
    },
  })
  process.on('exit', () => writeFileSync(file, [...reads].map(([name, count]) => `${name} ${count}\n`).join('')))
}
