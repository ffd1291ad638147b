import {loadBundle} from './load-bundle.js'

/** oclif's explicit command target (package.json `oclif.commands`): the table from the loaded bundle. */
export const COMMANDS = loadBundle().COMMANDS
