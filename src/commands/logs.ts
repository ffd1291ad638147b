import {Args, Flags} from '@oclif/core'
import {BaseCommand, colorFlag, fileFlag} from './base.js'
import {stateFlags, stateOptions} from './state-flags.js'
import {commandLineOnly} from './positional.js'

export default class Logs extends BaseCommand {
  static override summary = "Print a component's log, each target's log of a change, or (without NAME) every component's log, each line prefixed with its name."
  static override description = [
    'A component logs to <stateDir>/logs/NAME.log; a change to <stateDir>/logs/changes/NAME/TARGET.log, printed one target after another under a `==> TARGET <==` header.',
    'Without NAME: the last lines (-n, default 10) of every component, each line prefixed `NAME | `.',
    '--follow keeps printing as they grow (like tail -f), across rotations and restarts, until Ctrl-C.',
    '--rotate rotates every log past its `logs.maxSize` now (for cron) and prints nothing else.',
  ].join(' ')
  static override examples = [
    '<%= config.bin %> logs msgq',
    '<%= config.bin %> logs msgq -n 50 --follow',
    '<%= config.bin %> logs add-operator -n 20',
    '<%= config.bin %> logs --follow',
    '<%= config.bin %> logs --rotate',
  ]

  static override args = {
    name: Args.string({...commandLineOnly, description: 'A component or change, in the file or in the state. Default: every component.', required: false}),
  }

  static override flags = {
    file: fileFlag,
    ...stateFlags,
    lines: Flags.integer({char: 'n', summary: 'Print only the last LINES lines of each log (default: all of one log; 10 of each without NAME).', min: 0, helpValue: 'LINES'}),
    follow: Flags.boolean({summary: 'Keep printing what is written to the logs, until Ctrl-C.', exclusive: ['rotate']}),
    rotate: Flags.boolean({summary: 'Rotate every log larger than its maxSize, then exit.', exclusive: ['follow', 'lines']}),
    color: colorFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    const [{loadConfigOrThrow}, {readState}, {rotateNow, showLogs}] = await Promise.all([
      import('../config/load.js'),
      import('../state/open.js'),
      import('../logs/show.js'),
    ])
    const config = await loadConfigOrThrow(flags.file)
    if (flags.rotate) {
      const {rotated, failed} = await rotateNow(config)
      for (const done of rotated) if (done.lostBytes > 0) this.note(`${done.log}: ${done.lostBytes} bytes written during the copy were lost`)
      for (const failure of failed) this.note(`compctl: could not rotate ${failure.log}: ${failure.error}`)
      process.exitCode = failed.length > 0 ? 1 : 0
      return
    }
    const {state} = await readState(config, stateOptions(flags))
    let stop = () => {}
    const until = new Promise<void>((resolve) => (stop = resolve))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await showLogs({
        config,
        state,
        ...(args.name === undefined ? {} : {name: args.name}),
        ...(flags.lines === undefined ? {} : {lines: flags.lines}),
        follow: flags.follow,
        palette: this.palette(flags.color),
        onNote: (message) => this.note(message),
        until,
      })
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
    process.exitCode = 0
  }
}
