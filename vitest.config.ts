import { defineConfig } from 'vitest/config'

// Two tiers: `fast` runs in CI (npm test); `nightly` holds the long runs (full scenarios, scale).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'fast',
          include: ['test/unit/**/*.test.ts', 'test/spec/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'nightly',
          include: ['test/nightly/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          pool: 'forks',
        },
      },
    ],
  },
})
