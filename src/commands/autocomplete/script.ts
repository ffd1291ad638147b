import {Args} from '@oclif/core'
import {BaseCommand} from '../base.js'
import {SHELLS} from './index.js'
import {autocompletePluginCommand} from './plugin.js'
import {commandLineOnly} from '../positional.js'

export default class AutocompleteScript extends BaseCommand {
  static override summary = 'Print the line that loads compctl completion, for a shell start-up file.'
  static override hidden = true
  static override args = {shell: Args.string({...commandLineOnly, description: 'The shell (default: yours, from $SHELL).', options: SHELLS, required: false})}

  async run(): Promise<void> {
    await this.parse(AutocompleteScript)
    await (await autocompletePluginCommand('script')).run(this.argv, this.config)
  }
}
