import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suites that run on every backend (the store, manager and adapter contracts), for
 * scripts/postgres-majors.sh to run against each PostgreSQL major on a server of its own.
 * The rest of `npm test` never depends on the server's version: it runs once, on the
 * machine's server.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'test/store.test.ts',
      'test/store.coalesced-deletes.test.ts',
      'test/store.coalesced-finds.test.ts',
      'test/store.coalesced-saves.test.ts',
      'test/store.owner.test.ts',
      'test/manager.test.ts',
      'test/manager.cookies.test.ts',
      'test/manager.h3.test.ts',
      'test/manager.owner.test.ts',
      'test/express.test.ts',
      'test/express.http.test.ts',
      'test/express.owner.test.ts',
      'test/express.races.test.ts',
      'test/express.shared-table.test.ts',
      'test/fastify.test.ts',
      'test/integrations.test.ts',
      'test/input.test.ts',
      'test/migrations.test.ts',
      'test/stats.test.ts',
    ],
    typecheck: { enabled: false },
  },
});
