import {execute} from '@oclif/core'

/** The CLI's entry point, called by bin/run.js. */
export async function main(): Promise<void> {
  await execute({dir: import.meta.url})
}
