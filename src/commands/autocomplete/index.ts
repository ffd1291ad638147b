import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../base.js'
import {autocompletePluginCommand} from './plugin.js'
import {commandLineOnly} from '../positional.js'

export const SHELLS = ['bash', 'zsh', 'powershell']

export default class Autocomplete extends BaseCommand {
  static override summary = 'Set up shell completion of commands and flags (bash, zsh, powershell); prints how to install it.'
  static override description =
    'Builds the completion scripts (by @oclif/plugin-autocomplete) in the cache folder, then prints the line to add to your shell start-up file. Run it again with --refresh-cache after upgrading compctl.'
  static override examples = [
    '<%= config.bin %> autocomplete bash',
    'printf "$(<%= config.bin %> autocomplete script bash)" >> ~/.bashrc; source ~/.bashrc',
    'printf "$(<%= config.bin %> autocomplete script zsh)" >> ~/.zshrc; source ~/.zshrc',
  ]

  static override args = {shell: Args.string({...commandLineOnly, description: 'The shell (default: yours, from $SHELL).', options: SHELLS, required: false})}
  static override flags = {'refresh-cache': Flags.boolean({char: 'r', summary: 'Only rebuild the completion scripts; print no instructions.'})}

  async run(): Promise<void> {
    await this.parse(Autocomplete)
    await (await autocompletePluginCommand('index')).run(this.argv, this.config)
  }
}
