// What compctl's modules take from @oclif/core, from its sub-modules: the build (scripts/build.mjs)
// resolves `@oclif/core` here, since oclif's index also loads what compctl never uses (a Node
// version check through semver, the execute and Performance modules...). A command that needs more
// of oclif adds the export here.
export * as Args from '@oclif/core/args'
export {Command} from '@oclif/core/command'
export * as Errors from '@oclif/core/errors'
export * as Flags from '@oclif/core/flags'
export {ux} from '@oclif/core/ux'
