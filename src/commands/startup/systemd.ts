import {join} from 'node:path'
import {formatProblem} from '../../errors.js'
import {BaseCommand, fileFlag} from '../base.js'

export default class StartupSystemd extends BaseCommand {
  static override summary = 'Print a systemd unit that runs `compctl supervise` for the file at boot.'
  static override description =
    'The unit runs supervise with this node and this compctl, on the file by its absolute path. On `systemctl stop`, supervise alone gets SIGTERM and stops every component in order (KillMode=mixed); TimeoutStopSec leaves room for every stop timeout of the file. Save it under /etc/systemd/system and enable it.'
  static override examples = [
    '<%= config.bin %> startup systemd -f /srv/dns/compctl.yaml > /etc/systemd/system/compctl-dns.service',
    'systemctl daemon-reload && systemctl enable --now compctl-dns.service',
  ]

  static override flags = {file: fileFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(StartupSystemd)
    const [{loadConfigOrThrow}, {renderSystemdUnit}] = await Promise.all([import('../../config/load.js'), import('../../views/systemd-unit.js')])
    const config = await loadConfigOrThrow(flags.file)
    for (const warning of config.warnings) this.note(formatProblem(warning))
    this.out(
      renderSystemdUnit({
        project: config.project,
        file: config.file,
        workingDirectory: config.baseDir,
        compctl: [process.execPath, join(this.config.root, 'bin', 'run.js')],
        spec: config.spec,
      }),
    )
  }
}
