import {Args} from '@oclif/core'
import {UserError} from '../../errors.js'
import {BaseCommand, fileFlag} from '../base.js'
import {commandLineOnly} from '../positional.js'

export default class LocksRelease extends BaseCommand {
  static override summary = 'Free a named lock held by a holder that is stuck (or remove a waiting request).'
  static override description =
    'HOLDER is the id `compctl locks` shows. The next request in line gets the lock; the holder, if it still runs, is told its lock was taken away and fails its step. A holder that died is freed without this: at once by the file backend, when its lease expires with etcd.'
  static override examples = ['<%= config.bin %> locks release restart 3f2a9c1d0b7e', '<%= config.bin %> locks release restart 3f2a9c1d0b7e -f examples/dns/compctl.yaml']

  static override args = {
    name: Args.string({...commandLineOnly, description: 'The lock.', required: true}),
    holder: Args.string({...commandLineOnly, description: 'The holder id, as `compctl locks` shows it.', required: true}),
  }

  static override flags = {
    file: fileFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(LocksRelease)
    const [{loadConfigOrThrow}, {openLockBackend}] = await Promise.all([import('../../config/load.js'), import('../../locks/index.js')])
    const config = await loadConfigOrThrow(flags.file)
    const backend = await openLockBackend(config.spec.settings?.locks, config.project, {baseDir: config.baseDir})
    try {
      const holders = await backend.status()
      const status = holders.find((s) => s.lock === args.name)
      const entry = [...(status?.holders ?? []), ...(status?.queue ?? [])].find((h) => h.id === args.holder)
      if (!(await backend.release(args.name, args.holder))) {
        const known = [...(status?.holders ?? []).map((h) => `${h.id} (holder)`), ...(status?.queue ?? []).map((h) => `${h.id} (waiting)`)]
        throw new UserError(`lock "${args.name}" of project ${config.project} has no holder or request "${args.holder}"`, {
          hint: known.length > 0 ? `Its entries now: ${known.join(', ')}.` : `Nobody holds or waits for "${args.name}" now; \`compctl locks\` lists the locks.`,
        })
      }
      const who = entry ? ` (${entry.project}@${entry.host} pid ${entry.pid}${entry.step ? `, ${entry.step}` : ''})` : ''
      const wasHolder = status?.holders.some((h) => h.id === args.holder) ?? false
      this.out(`Released lock ${args.name}: removed ${wasHolder ? 'holder' : 'request'} ${args.holder}${who}.`)
    } finally {
      await backend.close()
    }
  }
}
