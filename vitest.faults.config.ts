import { defineConfig } from 'vitest/config';

/**
 * The fault tests: each starts servers of its own (a PostgreSQL cluster, a PgBouncer),
 * breaks them on purpose and waits out reconnect backoffs, so they are slow and run
 * apart from `npm test`, one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
