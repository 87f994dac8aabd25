import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Each framework's example app, installed from the packed package, built with the framework's
// own build and served by its own server. Some frameworks need a newer Node than 20: CI runs
// this on Node 24.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/frameworks/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['test/frameworks/support/global-setup.ts'],
    typecheck: { enabled: false },
    // An install and a production build per app, on a loaded two-core machine.
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
