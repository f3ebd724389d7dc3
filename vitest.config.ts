import { defineConfig } from 'vitest/config';

// Unit and integration tests for the Node side and the renderer's pure logic. Integration tests
// run the real trainer on a tiny model, so they get long timeouts; e2e tests (tests/e2e) drive
// Chromium and are run by the same command, one file at a time.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // In CI a test that skips for a reason not in tests/helpers/known-skip-reasons.json fails the run.
    reporters: ['default', './tests/helpers/ci-skip-reporter.ts'],
  },
});
