import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PGStore } from '../../../src/store/pg-store.js';
import openSessionDriver from '../../../src/integrations/astro/driver.js';
import { createSessionDriver, pgSessionDriver } from '../../../src/integrations/astro/index.js';
import { openPglite, type Backend } from '../../support/backends.js';

/** The driver's own promises, apart from Astro: its options, its refusals, its removals. */
export function describeAstroDriver() {
  describe('pgSessionDriver and the driver module, apart from Astro', () => {
    let backend: Backend;
    let store: PGStore;
    beforeAll(async () => {
      backend = await openPglite();
      store = new PGStore(backend.db, { hashTokens: true, cleanupInterval: 0 });
    });
    afterAll(async () => {
      await store?.close();
      await backend?.close();
    });

    it('pgSessionDriver names the driver module by its package specifier, with options that survive serialising', () => {
      const driver = pgSessionDriver({ ttl: 60, databaseUrlEnv: 'SESSIONS_DB', schema: 'auth' });
      expect(driver).toEqual({ entrypoint: 'drizzle-pgstore/astro/driver', config: { ttl: 60, databaseUrlEnv: 'SESSIONS_DB', schema: 'auth' } });
      expect(JSON.parse(JSON.stringify(driver))).toEqual(driver);
    });

    it('refuses a bad option where astro.config calls it, naming the option', () => {
      expect(() => pgSessionDriver({ tll: 60 } as never)).toThrow('pgSessionDriver has no option "tll" (did you mean "ttl"?)');
      expect(() => pgSessionDriver({ ttl: 0 })).toThrow('ttl must be a whole number of seconds from 1');
      expect(() => pgSessionDriver({ ttl: '1h' as never })).toThrow('got string "1h"');
      expect(() => pgSessionDriver({ databaseUrlEnv: '' })).toThrow('databaseUrlEnv must be a non-empty string');
      expect(() => pgSessionDriver({ table: 5 as never })).toThrow('table must be a non-empty string, got number 5');
      expect(() => createSessionDriver(store, { ttl: -1 })).toThrow('ttl must be');
      expect(() => createSessionDriver({} as never)).toThrow('createSessionDriver needs a store with find()');
    });

    it('a database URL that is not PostgreSQL is refused by every call, without quoting it or the session ID', async () => {
      const name = `ASTRO_TEST_URL_${process.pid}`;
      process.env[name] = 'mysql://root:pw-not-to-show@db.example/app';
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const driver = openSessionDriver({ databaseUrlEnv: name });
        const id = randomUUID();
        const refused = await driver.getItem(id).catch((error: Error) => error);
        expect(String(refused)).toBe(`Error: drizzle-pgstore: ${name} must be a postgres:// or postgresql:// URL`);
        await expect(driver.setItem(id, '[]')).rejects.toThrow('must be a postgres:// or postgresql:// URL');
        // A removal Astro would log with the session ID is told here instead, without it.
        await expect(driver.removeItem(id)).resolves.toBeUndefined();
        const told = errors.mock.calls.map((call) => call.join(' ')).join('\n');
        expect(told).toContain('a session could not be deleted');
        expect(told).not.toContain(id);
        expect(told).not.toContain('pw-not-to-show');
      } finally {
        errors.mockRestore();
        delete process.env[name];
      }
    });

    it('a read of a session whose removal is still in flight waits for it, so a replaced ID is dead at once', async () => {
      const id = randomUUID();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // The real store, its deletes held back as a slow database would.
      const driver = createSessionDriver({
        find: (token) => store.find(token),
        save: (token, data, expiry) => store.save(token, data, expiry),
        delete: async (token) => {
          await gate;
          await store.delete(token);
        },
      });
      await driver.setItem(id, '["a session"]');
      expect(await driver.getItem(id)).toBe('["a session"]');
      const removal = driver.removeItem(id); // as regenerate() does: not awaited
      const read = driver.getItem(id);
      release();
      expect(await read).toBeNull();
      await removal;
    });

    it('keeps what Astro gives it, text, and refuses anything else', async () => {
      const driver = createSessionDriver(store, { ttl: 60 });
      await expect(driver.setItem(randomUUID(), { not: 'text' })).rejects.toThrow('an Astro session is stored as text, got object');
    });
  });
}
