import {run} from '@oclif/core/run'
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'

/**
 * Runs a command through oclif. oclif exits 2 for usage errors such as an unknown command;
 * compctl keeps 2 for "the plan has steps" (--detailed-exitcode), so every error exits 1.
 */
export async function runCli(argv: string[], root: string): Promise<void> {
  try {
    await run(argv, root)
    await flush()
  } catch (error) {
    const oclif = (error as {oclif?: {exit?: number}}).oclif
    if (oclif?.exit === 2) oclif.exit = 1
    await handle(error as Error)
  }
}
