import {flush, handle, run} from '@oclif/core'

/**
 * The CLI's entry point, called by bin/run.js. oclif exits 2 for usage errors such as an
 * unknown command; compctl keeps 2 for "the plan has steps" (--detailed-exitcode), so every
 * error exits 1.
 */
export async function main(): Promise<void> {
  try {
    await run(process.argv.slice(2), import.meta.url)
    await flush()
  } catch (error) {
    const oclif = (error as {oclif?: {exit?: number}}).oclif
    if (oclif?.exit === 2) oclif.exit = 1
    await handle(error as Error)
  }
}
