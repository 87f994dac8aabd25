import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, PGStore } from '../../src/index.js';
import { databaseUrl, uniqueName } from '../support/backends.js';

/**
 * The cleanup with `cleanupSkipLocked: false`, the mode for Citus (which cannot lock rows
 * of a multi-shard query), on plain PostgreSQL: it must remove what the locking cleanup
 * removes, and never a session that is being saved while it runs.
 */
let pool: pg.Pool;
const schema = uniqueName('pgstore_nolocks');
const table = defineSessionsTable('sessions', { schema });
const storeWith = (options: ConstructorParameters<typeof PGStore>[1] = {}) =>
  new PGStore(drizzle(pool), { table, cleanupInterval: 0, cleanupSkipLocked: false, ...options });

async function fill(expired: number, live: number) {
  await pool.query(`TRUNCATE ${schema}.sessions`);
  await pool.query(
    `INSERT INTO ${schema}.sessions SELECT 'dead' || i, '\\x00', now() - interval '1 hour' FROM generate_series(1, $1) i`,
    [expired],
  );
  await pool.query(
    `INSERT INTO ${schema}.sessions SELECT 'live' || i, '\\x00', now() + interval '1 hour' FROM generate_series(1, $1) i`,
    [live],
  );
}

const counts = async () =>
  (
    await pool.query<{ live: number; expired: number }>(
      `SELECT count(*) FILTER (WHERE expiry > now())::int AS live, count(*) FILTER (WHERE expiry <= now())::int AS expired FROM ${schema}.sessions`,
    )
  ).rows[0];

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: databaseUrl(), max: 6 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`CREATE TABLE ${schema}.sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)`);
  await pool.query(`CREATE INDEX ON ${schema}.sessions (expiry)`);
});
afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool?.end();
});

/**
 * Runs `deleteExpired` of `store` while another transaction has re-saved the expired row
 * `dead1` with a live expiry and not committed yet; commits once the cleanup had its chance
 * to wait on that row. Says whether the cleanup waited.
 */
async function cleanupDuringSave(store: PGStore): Promise<{ deleted: number; waited: boolean }> {
  const writer = await pool.connect();
  try {
    await writer.query('BEGIN');
    await writer.query(`UPDATE ${schema}.sessions SET expiry = now() + interval '1 hour' WHERE token = 'dead1'`);
    const cleanup = store.deleteExpired();
    const waiting = async () =>
      (
        await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%delete from "${schema}"%'`,
        )
      ).rowCount! > 0;
    let waited = false;
    const done = await Promise.race([cleanup.then(() => true), new Promise((resolve) => setTimeout(resolve, 2000, false))]);
    if (!done) {
      await vi.waitFor(async () => expect(await waiting()).toBe(true), { timeout: 10_000, interval: 20 });
      waited = true;
    }
    await writer.query('COMMIT');
    return { deleted: await cleanup, waited };
  } finally {
    writer.release();
  }
}

describe('cleanup without row locks (cleanupSkipLocked: false)', () => {
  it('is refused with a clear error when it is not a boolean', () => {
    expect(() => storeWith({ cleanupSkipLocked: 'no' as unknown as boolean })).toThrow(/cleanupSkipLocked/);
  });

  it('deletes every expired row in batches and leaves the live ones', async () => {
    await fill(12_000, 300);
    const progress: number[] = [];
    const deleted = await storeWith({ cleanupBatchSize: 5000 }).deleteExpired({ onProgress: (n) => progress.push(n) });
    expect(deleted).toBe(12_000);
    expect(progress).toEqual([5000, 10_000, 12_000]);
    expect(await counts()).toEqual({ live: 300, expired: 0 });
  });

  it('waits for a save in flight on a row it picked, and then leaves that session, now live, alone', async () => {
    await fill(10, 0);
    const { deleted, waited } = await cleanupDuringSave(storeWith());
    expect(waited).toBe(true);
    expect(deleted).toBe(9);
    expect(await counts()).toEqual({ live: 1, expired: 0 });
  });

  it('where the locking cleanup skips that row without waiting', async () => {
    await fill(10, 0);
    const { deleted, waited } = await cleanupDuringSave(storeWith({ cleanupSkipLocked: true }));
    expect(waited).toBe(false);
    expect(deleted).toBe(9);
    expect(await counts()).toEqual({ live: 1, expired: 0 });
  });

  it('two cleaners at once each delete a row at most once, and together leave no expired row behind', async () => {
    await fill(20_000, 100);
    const [a, b] = [storeWith({ cleanupBatchSize: 1000 }), storeWith({ cleanupBatchSize: 1000 })];
    const together = await Promise.all([a.deleteExpired(), b.deleteExpired()]);
    // Picking the same rows, one may finish a batch short and stop early; the next run goes on.
    const after = await a.deleteExpired();
    expect(together[0] + together[1] + after).toBe(20_000);
    expect(await counts()).toEqual({ live: 100, expired: 0 });
  });
});
