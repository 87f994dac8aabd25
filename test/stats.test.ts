import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionStats } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { EDGE_STEPS, rowsExpiringAt } from './support/edge-expiries.js';

for (const { name, open } of BACKENDS) describe(`sessionStats on ${name}`, () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());

  it('reads expiries in the years 1, 99, 100, 1899 and 9999 as they are', async () => {
    for (const step of EDGE_STEPS) {
      for (const statement of rowsExpiringAt(step.rows).split('; ')) await backend.query(statement);
      const stats = await sessionStats(backend.db);
      expect(stats.oldestExpiry?.toISOString()).toBe(step.oldest);
      expect(stats.newestExpiry?.toISOString()).toBe(step.newest);
      expect(stats.expired + stats.live).toBe(step.rows.length);
    }
  });

  it('reads an empty table as no expiry range', async () => {
    await backend.query('TRUNCATE sessions');
    expect(await sessionStats(backend.db)).toMatchObject({ live: 0, expired: 0, oldestExpiry: null, newestExpiry: null });
  });
});
