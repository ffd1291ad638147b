import {Flags} from '@oclif/core'
import {BaseCommand, fileFlag} from './base.js'

export default class Locks extends BaseCommand {
  static override summary = "Show the project's named locks: who holds each, since when, and who waits in line."
  static override description =
    'Lists every lock declared in the file, and any other lock held or requested under the same project, from the backend in settings.locks (file or etcd). HOLDER ids shown here are what `compctl locks release NAME HOLDER` takes.'
  static override examples = ['<%= config.bin %> locks', '<%= config.bin %> locks -f examples/dns/compctl.yaml --json']

  static override flags = {
    file: fileFlag,
    json: Flags.boolean({summary: 'Print one JSON object (format_version "1") instead of text.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Locks)
    const [{loadConfigOrThrow}, {openLockBackend}, {buildLockReport, renderLockReport}] = await Promise.all([
      import('../config/load.js'),
      import('../locks/index.js'),
      import('../locks/report.js'),
    ])
    const config = await loadConfigOrThrow(flags.file)
    const backend = await openLockBackend(config.spec.settings?.locks, config.project, {baseDir: config.baseDir})
    try {
      const report = await buildLockReport(config, backend)
      this.out(flags.json ? JSON.stringify(report, null, 2) : renderLockReport(report))
    } finally {
      await backend.close()
    }
  }
}
