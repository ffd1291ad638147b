import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Real processes and real timing: two cores cannot run many suites at once reliably.
    maxWorkers: 2,
    // Fail fast on a typo'd test.only in CI.
    allowOnly: !process.env.CI,
    // CI also writes the results as JSON, for .ci/run's closing count.
    reporters: process.env.CI ? ['default', ['json', {outputFile: 'test-results.json'}]] : ['default'],
  },
})
