import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fault tests start and stop servers of their own: `npm run test:faults` runs them.
    exclude: ['test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // PGlite starts in seconds, and CLI tests start several: a loaded machine needs the room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
