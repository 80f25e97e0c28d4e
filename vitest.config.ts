import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Builds under test must not append their size summaries to a GitHub Actions run's page
    // (test/size-build.test.ts points it at a file of its own).
    env: { GITHUB_STEP_SUMMARY: '' },
    // The JSON report lets CI print a plain "tests: N passed, M failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
})
