import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fault tests start and stop servers of their own: `npm run test:faults` runs them; the
    // framework apps install and build for minutes: `npm run test:frameworks`.
    exclude: ['test/faults/**', 'test/frameworks/**', '**/node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // Type-only tests: tsc checks them as part of the run, and a failed assertion fails it.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // PGlite starts in seconds, and CLI tests start several: a loaded machine needs the room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
