import {Command, Flags} from '@oclif/core'
import {useParseCache} from '../config/parse-cache.js'
import {UserError} from '../errors.js'
import {filterOutput} from '../secrets/secrets.js'
import {colourWanted, palette, type Palette} from '../util/colour.js'

export const fileFlag = Flags.string({
  char: 'f',
  summary: 'The desired-state file, YAML or JSON (chosen by extension).',
  default: 'compctl.yaml',
  helpValue: 'FILE',
})

export const colorFlag = Flags.boolean({
  summary: 'Colour the output (default: on in a terminal unless NO_COLOR is set). --no-color turns it off.',
  allowNo: true,
})

/**
 * Every compctl command: errors a user can fix print as plain lines (no stack trace) and exit 1.
 * oclif's own usage errors exit 1 too, so `--detailed-exitcode`'s 2 always means "steps to run".
 */
export abstract class BaseCommand extends Command {
  /** Nothing this command prints can carry a sensitive value: see filterOutput. Parsed files are kept in oclif's cache folder: see useParseCache. */
  protected override async init(): Promise<void> {
    filterOutput()
    useParseCache(this.config.cacheDir)
    await super.init()
  }

  /** `--color` forces colour on, `--no-color` off; without either, the terminal and NO_COLOR/FORCE_COLOR decide. */
  protected palette(color: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): Palette {
    return palette(color ?? colourWanted(stream, false))
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n')
  }

  protected note(text: string): void {
    process.stderr.write(text + '\n')
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}; code?: string}): Promise<void> {
    if (error.code === 'EEXIT') throw error
    if (error instanceof UserError) {
      for (const line of error.lines) process.stderr.write(line + '\n')
      if (error.hint) process.stderr.write(error.hint + '\n')
      process.exitCode = error.exitCode
      return
    }
    if (error.oclif !== undefined) {
      process.stderr.write(`compctl: ${error.message.split('\n')[0]}\nSee \`compctl ${this.id ?? ''} --help\`.\n`)
      process.exitCode = 1
      return
    }
    process.stderr.write(`compctl: internal error: ${error.message}\n`)
    if (process.env.COMPCTL_DEBUG) process.stderr.write(`${error.stack}\n`)
    else process.stderr.write('Set COMPCTL_DEBUG=1 for the stack trace, and please report it.\n')
    process.exitCode = 1
  }
}
