import type {Config} from '@oclif/core'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

/** What compctl calls of a plugin command class: its static run. */
export interface RunnableCommand {
  run(argv: string[], config: Config): Promise<unknown>
}

/**
 * One of @oclif/plugin-autocomplete's commands, imported only when an autocomplete command runs:
 * registering the plugin itself would load it on every command's start-up. Its package exports
 * name no command, so the file is found next to its main module. The CLI's code runs as one
 * CommonJS bundle (scripts/build.mjs), whose require resolves from compctl's own node_modules.
 */
export async function autocompletePluginCommand(name: 'index' | 'script'): Promise<RunnableCommand> {
  const main = require.resolve('@oclif/plugin-autocomplete')
  const loaded = (await import(pathToFileURL(join(dirname(main), 'commands', 'autocomplete', `${name}.js`)).href)) as {default: RunnableCommand}
  return loaded.default
}
