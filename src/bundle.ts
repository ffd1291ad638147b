// The CLI's code as one CommonJS bundle (dist/compctl.cjs), which src/load-bundle.ts compiles with
// V8's code cache: the commands for oclif, and the oclif run itself.
export {runCli} from './cli.js'
export {COMMANDS} from './commands/index.js'
