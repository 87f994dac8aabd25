import { describe, expect, it, vi } from 'vitest';
import { sessions, type PGStore, type PGStoreOptions } from '../../src/index.js';
import { epochMillis } from '../../src/store/expiry-sql.js';
import type { Backend } from './backends.js';
import { databaseNow, sameBytes } from './sql.js';
import { bytes, inOneHour } from './values.js';

/** Expiries in years 1 to 99, which node-postgres's own timestamptz parsing puts in 1901 to 1999. */
const EARLY_EXPIRIES = [1, 2, 12, 49, 50, 69, 70, 99].map((year) =>
  new Date(`${String(year).padStart(4, '0')}-03-04T05:06:07.089Z`),
);

/**
 * `findWithExpiry`: the data and the expiry of a live session in one query, the expiry
 * exact to the millisecond on every driver, whatever its year.
 */
export function describeFindWithExpiry(
  context: () => { backend: Backend; newStore: (options?: PGStoreOptions) => PGStore; key: (token: string) => string },
  { sharesAppClock = false } = {},
) {
  describe('findWithExpiry', () => {
    it('gives the data and the expiry of a live session, and null when there is none', async () => {
      const { backend, newStore, key } = context();
      const store = newStore();
      const expiry = inOneHour();
      await store.save('t', bytes('kept'), expiry);
      const found = await store.findWithExpiry('t');
      expect(found).not.toBeNull();
      expect(sameBytes(found!.data, bytes('kept'))).toBe(true);
      expect(found!.expiry).toBeInstanceOf(Date);
      expect(found!.expiry.getTime()).toBe(expiry.getTime());

      await backend.query(`INSERT INTO sessions VALUES ($1, '\\x00', current_timestamp - interval '1 minute')`, [key('dead')]);
      expect(await store.findWithExpiry('dead')).toBeNull();
      expect(await store.findWithExpiry('missing')).toBeNull();
      expect(await store.findWithExpiry('')).toBeNull();
      await expect(store.findWithExpiry(42 as never)).rejects.toThrow(/token must be a string/);
    });

    it('reads the last millisecond PostgreSQL and the store allow, and truncates microseconds', async () => {
      const { backend, newStore, key } = context();
      const store = newStore();
      const latest = new Date('9999-12-31T23:59:59.999Z');
      await store.save('latest', bytes('x'), latest);
      expect((await store.findWithExpiry('latest'))!.expiry.toISOString()).toBe(latest.toISOString());
      // Microseconds a float8 epoch (PostgreSQL 13 and older) would round up into the next
      // millisecond, or the next second, or the next year.
      const stored = {
        '2999-01-02 03:04:05.678999+00': '2999-01-02T03:04:05.678Z',
        '2500-06-15 12:00:00.999999+00': '2500-06-15T12:00:00.999Z',
        '9999-12-31 23:59:59.999999+00': '9999-12-31T23:59:59.999Z',
      };
      for (const [i, [text, iso]] of Object.entries(stored).entries()) {
        await backend.query(`INSERT INTO sessions VALUES ($1, '\\x00', $2)`, [key(`micro-${i}`), text]);
        expect((await store.findWithExpiry(`micro-${i}`))!.expiry.toISOString()).toBe(iso);
      }
    });

    it('finds by the token, not by the key its row is kept under', async () => {
      const { newStore, key } = context();
      const store = newStore();
      await store.save('raw', bytes('h'), inOneHour());
      expect(await store.findWithExpiry('raw')).not.toBeNull();
      if (key('raw') !== 'raw') expect(await store.findWithExpiry(key('raw'))).toBeNull();
    });

    it.skipIf(sharesAppClock)('decides what is live by the database clock', async () => {
      const { backend, newStore } = context();
      const store = newStore();
      const dbNow = Math.floor(await databaseNow(backend));
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2126-01-01T00:00:00Z'));
      await store.save('live', bytes('a'), new Date(dbNow + 3_600_000));
      await store.save('dead', bytes('b'), new Date(dbNow - 3_600_000));
      expect((await store.findWithExpiry('live'))?.expiry.getTime()).toBe(dbNow + 3_600_000);
      expect(await store.findWithExpiry('dead')).toBeNull();
    });

    // PGlite's clock is the app's, so there a session expiring in year 50 can be live.
    it.runIf(sharesAppClock)('reads expiries in years 1 to 99 exactly, with the clock in year 1', async () => {
      const store = context().newStore();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('0001-01-01T00:00:00Z'));
      for (const [i, expiry] of EARLY_EXPIRIES.entries()) await store.save(`early_${i}`, bytes('e'), expiry);
      for (const [i, expiry] of EARLY_EXPIRIES.entries()) {
        expect((await store.findWithExpiry(`early_${i}`))?.expiry.toISOString()).toBe(expiry.toISOString());
      }
    });

    // A server's clock cannot be set back, so the form the expiry is read in is checked on its own.
    it('reads the expiry in a form every driver parses right, in years 1 to 99 too', async () => {
      const { backend } = context();
      for (const [i, expiry] of EARLY_EXPIRIES.entries()) {
        await backend.query(`INSERT INTO sessions VALUES ($1, '\\x00', $2::timestamptz)`, [`early_${i}`, expiry.toISOString()]);
      }
      const rows = await backend.db
        .select({ token: sessions.token, expiryMs: epochMillis(sessions.expiry) })
        .from(sessions)
        .orderBy(sessions.expiry);
      expect(rows.map((row) => new Date(row.expiryMs).toISOString())).toEqual(EARLY_EXPIRIES.map((e) => e.toISOString()));
    });
  });
}
