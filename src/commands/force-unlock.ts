import {Args} from '@oclif/core'
import {BaseCommand, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {commandLineOnly} from './positional.js'

export default class ForceUnlock extends BaseCommand {
  static override summary = 'Remove the state lock left by an apply that can no longer release it.'
  static override description =
    'Only when you are sure its holder is gone (for example, it ran on another host that died). A holder that died on this host needs no force-unlock: the next apply takes its lock over. ID is the lock id the refused apply printed (also shown by `compctl status`).'
  static override examples = ['<%= config.bin %> force-unlock 6f1c2e0a-8d1b-4b7e-9a55-2f0c3c1d9e11', '<%= config.bin %> force-unlock ID -f examples/dns/compctl.yaml']

  static override args = {
    id: Args.string({...commandLineOnly, description: 'The id of the lock to remove.', required: true}),
  }

  static override flags = {
    file: fileFlag,
    ...stateFlags,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ForceUnlock)
    const [{loadConfigOrThrow}, {describeHolder, holderState}, {openStateBackend}] = await Promise.all([
      import('../config/load.js'),
      import('../state/lock.js'),
      import('../state/open.js'),
    ])
    const config = await loadConfigOrThrow(flags.file)
    const backend = await openStateBackend(config, stateOptions(flags))
    let removed
    try {
      removed = await backend.forceUnlock(args.id)
    } finally {
      await backend.close()
    }
    this.out(`Removed the state lock ${backend.lockLocation}: ${describeHolder(removed)}.`)
    if (holderState(removed) === 'alive')
      this.note(`Warning: pid ${removed.pid} still runs on this host; if it is that ${removed.operation}, it goes on believing it holds the state lock.`)
  }
}
