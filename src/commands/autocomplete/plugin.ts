import type {Config} from '@oclif/core'

/** What compctl calls of a plugin command class: its static run. */
export interface RunnableCommand {
  run(argv: string[], config: Config): Promise<unknown>
}

/**
 * One of @oclif/plugin-autocomplete's commands, imported only when an autocomplete command runs:
 * registering the plugin itself would load it on every command's start-up. Its package exports
 * name no command, so the file is found next to its main module.
 */
export async function autocompletePluginCommand(name: 'index' | 'script'): Promise<RunnableCommand> {
  const main = import.meta.resolve('@oclif/plugin-autocomplete')
  const loaded = (await import(new URL(`commands/autocomplete/${name}.js`, main).href)) as {default: RunnableCommand}
  return loaded.default
}
