import { Cache } from 'drizzle-orm/cache/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGStore, sessionStats } from '../src/index.js';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { insertRows } from './support/sql.js';
import { bytes, inOneHour } from './support/values.js';

/** A drizzle cache that keeps every select it is offered, for ever, in this process ("all"). */
class KeepEverything extends Cache {
  readonly entries = new Map<string, unknown[]>();
  override strategy(): 'all' {
    return 'all';
  }
  override async get(key: string): Promise<unknown[] | undefined> {
    return this.entries.get(key);
  }
  override async put(key: string, response: unknown): Promise<void> {
    this.entries.set(key, response as unknown[]);
  }
  // Another process's writes never reach it, as with a cache per app instance.
  override async onMutate(): Promise<void> {}
}

describe('a drizzle cache on the database', () => {
  let backend: Backend;
  let pool: pg.Pool;
  beforeAll(async () => {
    backend = await openNodePostgres();
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 4, options: `-c search_path=${backend.schema}` });
  });
  afterAll(async () => {
    await pool?.end();
    await backend?.close();
  });

  it('never answers the store: a session changed or deleted elsewhere is seen as it is, and cleanup deletes every time', async () => {
    const cache = new KeepEverything();
    const cachedDb = drizzle(pool, { cache });
    const cached = new PGStore(cachedDb, { cleanupInterval: 0 });
    // Another app instance, writing to the same table.
    const elsewhere = new PGStore(backend.db, { cleanupInterval: 0 });
    try {
      await elsewhere.save('cached-token', bytes('v1'), inOneHour());
      expect(new TextDecoder().decode((await cached.find('cached-token'))!)).toBe('v1');
      expect((await cached.findWithExpiry('cached-token'))?.data).toBeDefined();
      await elsewhere.save('cached-token', bytes('v2'), inOneHour());
      expect(new TextDecoder().decode((await cached.find('cached-token'))!)).toBe('v2');
      await elsewhere.delete('cached-token');
      expect(await cached.find('cached-token')).toBeNull();
      expect(await cached.findWithExpiry('cached-token')).toBeNull();
      expect(await cached.count()).toBe(0);
      expect(await cached.all()).toEqual(new Map());
      expect(await cached.tokens()).toEqual([]);
      expect((await sessionStats(cachedDb)).live).toBe(0);
      // Cleanup deletes and counts in the database each time, never from a cache.
      for (const round of [1, 2]) {
        await insertRows(backend, 'sessions', 3, -60, `expired${round}-`);
        expect(await cached.deleteExpired()).toBe(3);
      }
      expect(cache.entries.size).toBe(0);
    } finally {
      await Promise.all([cached.close(), elsewhere.close()]);
    }
  });
});
