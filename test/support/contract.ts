import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, PGStore, StoreClosedError, type PGStoreOptions } from '../../src/index.js';
import { uniqueName, type Backend, type OpenBackend } from './backends.js';
import { describeErrorSecrecy } from './error-secrecy.js';
import { describeFindWithExpiry } from './find-with-expiry.js';
import { countRows, createSessionsTable, databaseNow, insertRows, qualified, sameBytes } from './sql.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const inOneHour = () => new Date(Date.now() + 3_600_000);

/**
 * The behaviour every backend must show: SCS pgstore's own tests, ported, and what a
 * Node session store adds to them. `sharesAppClock` marks an in-process database, whose
 * clock is the app's; `storeOptions` go to every store the suite makes (e.g.
 * `preparedStatements: false` behind PgBouncer).
 */
export function describeStoreContract(
  open: OpenBackend,
  { sharesAppClock = false, storeOptions = {} as PGStoreOptions } = {},
) {
  let backend: Backend;
  const stores: PGStore[] = [];
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(backend.db, { cleanupInterval: 0, ...storeOptions, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    vi.useRealTimers();
  });

  describe('ported from pgstore', () => {
    it('finds a saved session', async () => {
      await insertRows(backend, 'sessions', 1, 60, 'session_token_');
      const store = newStore();
      expect(await store.find('session_token_1')).toEqual(expect.any(Uint8Array));
      expect(new TextDecoder().decode((await store.find('session_token_1'))!)).toBe('data 1');
    });

    it('finds nothing for a missing token', async () => {
      const store = newStore();
      expect(await store.find('missing_session_token')).toBeNull();
    });

    it('saves a new session', async () => {
      const store = newStore();
      const expiry = inOneHour();
      await store.save('session_token', bytes('encoded_data'), expiry);
      const rows = await backend.query<{ data: Uint8Array; ms: number | string }>(
        `SELECT data, (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = 'session_token'`,
      );
      expect(rows).toHaveLength(1);
      expect(sameBytes(rows[0]!.data, bytes('encoded_data'))).toBe(true);
      expect(Number(rows[0]!.ms)).toBe(expiry.getTime());
    });

    it('updates the data and expiry of an existing session', async () => {
      await insertRows(backend, 'sessions', 1, 60, 'session_token_');
      const store = newStore();
      const expiry = new Date(Date.now() + 7_200_000);
      await store.save('session_token_1', bytes('new_encoded_data'), expiry);
      const rows = await backend.query<{ data: Uint8Array; ms: number | string }>(
        `SELECT data, (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions`,
      );
      expect(rows).toHaveLength(1);
      expect(sameBytes(rows[0]!.data, bytes('new_encoded_data'))).toBe(true);
      expect(Number(rows[0]!.ms)).toBe(expiry.getTime());
    });

    it('stops finding a session once it expires', async () => {
      const store = newStore();
      await store.save('session_token', bytes('encoded_data'), new Date((await databaseNow(backend)) + 300));
      expect(await store.find('session_token')).not.toBeNull();
      await vi.waitFor(async () => expect(await store.find('session_token')).toBeNull(), { timeout: 5000 });
    });

    it('deletes a session, and a missing one without error', async () => {
      await insertRows(backend, 'sessions', 1, 60, 'session_token_');
      const store = newStore();
      await store.delete('session_token_1');
      expect(await countRows(backend)).toBe(0);
      await expect(store.delete('never_existed')).resolves.toBeUndefined();
    });

    it('cleans up expired sessions in the background', async () => {
      const store = newStore({ cleanupInterval: 100 });
      await store.save('session_token', bytes('encoded_data'), new Date((await databaseNow(backend)) + 200));
      expect(await countRows(backend)).toBe(1);
      await vi.waitFor(async () => expect(await countRows(backend)).toBe(0), { timeout: 5000, interval: 50 });
      expect(store.cleanup.lastRun?.error).toBeUndefined();
    });

    it('stops cleanly when cleanup was never on', async () => {
      const store = newStore({ cleanupInterval: 0 });
      await expect(store.stopCleanup()).resolves.toBeUndefined();
      await expect(store.stopCleanup()).resolves.toBeUndefined();
      expect(store.cleanup.stopped).toBe(true);
    });

    it('stops cleanup: before the first run, more than once, and no run after', async () => {
      const store = newStore({ cleanupInterval: 50 });
      await store.stopCleanup();
      await store.stopCleanup();
      await insertRows(backend, 'sessions', 1, -60);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await countRows(backend)).toBe(1);
      expect(store.cleanup.lastRun).toBeUndefined();
      // The store itself goes on working.
      expect(await store.deleteExpired()).toBe(1);
    });
  });

  describe('beyond pgstore', () => {
    it('lists live sessions only with all(), and an empty map when there are none', async () => {
      const store = newStore();
      expect(await store.all()).toEqual(new Map());
      await insertRows(backend, 'sessions', 3, 60, 'live_');
      await insertRows(backend, 'sessions', 2, -60, 'dead_');
      const all = await store.all();
      expect([...all.keys()].sort()).toEqual(['live_1', 'live_2', 'live_3']);
      expect(new TextDecoder().decode(all.get('live_2'))).toBe('data 2');
    });

    it('round-trips 1 MiB holding every byte value exactly', async () => {
      const store = newStore();
      const data = new Uint8Array(1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) % 256;
      expect(new Set(data).size).toBe(256);
      await store.save('big', data, inOneHour());
      const found = await store.find('big');
      expect(found).toBeInstanceOf(Uint8Array);
      expect(found!.byteLength).toBe(data.byteLength);
      expect(sameBytes(found, data)).toBe(true);
      expect(sameBytes((await store.all()).get('big')!, data)).toBe(true);
      // An empty session is data too.
      await store.save('empty', new Uint8Array(0), inOneHour());
      expect((await store.find('empty'))?.byteLength).toBe(0);
    });

    // PGlite runs inside this process and reads its clock, so there the two cannot differ.
    it.skipIf(sharesAppClock)('decides expiry by the database clock, not the app clock', async () => {
      const store = newStore();
      const dbNow = await databaseNow(backend);
      // The app's clock is a century ahead: by it, every row below is long expired.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2126-01-01T00:00:00Z'));
      await store.save('live', bytes('a'), new Date(dbNow + 3_600_000));
      await store.save('dead', bytes('b'), new Date(dbNow - 3_600_000));
      expect(await store.find('live')).not.toBeNull();
      expect(await store.find('dead')).toBeNull();
      expect([...(await store.all()).keys()]).toEqual(['live']);
      expect(await store.deleteExpired()).toBe(1);
      expect(await countRows(backend)).toBe(1);
    });

    it('refuses bad input with an error naming it, before any query, writing nothing', async () => {
      // A store on a table that does not exist: any query would fail with a database error.
      const nowhere = newStore({ table: defineSessionsTable(uniqueName('no_such_table')) });
      const store = newStore();
      const data = bytes('x');
      const cases: Array<[string, (s: PGStore) => Promise<unknown>, ErrorConstructor, RegExp]> = [
        ['number token', (s) => s.save(42 as unknown as string, data, inOneHour()), TypeError, /token must be a string/],
        ['empty token', (s) => s.save('', data, inOneHour()), RangeError, /token must not be empty/],
        ['NUL in token', (s) => s.save('a\0b', data, inOneHour()), RangeError, /NUL/],
        ['lone surrogate', (s) => s.save('a\uD800', data, inOneHour()), RangeError, /well-formed/],
        ['huge token', (s) => s.save('t'.repeat(1025), data, inOneHour()), RangeError, /token is 1025 bytes/],
        ['string data', (s) => s.save('t', 'x' as unknown as Uint8Array, inOneHour()), TypeError, /data must be a Uint8Array/],
        ['array data', (s) => s.save('t', [1] as unknown as Uint8Array, inOneHour()), TypeError, /data must be a Uint8Array, got array/],
        ['data too big', (s) => s.save('t', new Uint8Array(17 * 1024 * 1024), inOneHour()), RangeError, /data is \d+ bytes/],
        ['string expiry', (s) => s.save('t', data, 'tomorrow' as unknown as Date), TypeError, /expiry must be a Date/],
        ['invalid date', (s) => s.save('t', data, new Date(Number.NaN)), RangeError, /expiry is an invalid Date/],
        ['year 10000', (s) => s.save('t', data, new Date('+010000-01-01T00:00:00Z')), RangeError, /outside the supported range/],
        ['year -1', (s) => s.save('t', data, new Date('-000001-01-01T00:00:00Z')), RangeError, /outside the supported range/],
        ['find(number)', (s) => s.find(1 as unknown as string), TypeError, /token must be a string, got number/],
        ['find(NUL)', (s) => s.find('\0'), RangeError, /NUL/],
        ['delete(null)', (s) => s.delete(null as unknown as string), TypeError, /token must be a string, got null/],
      ];
      for (const [label, call, type, message] of cases) {
        for (const target of [nowhere, store]) {
          const error = await call(target).then(
            () => new Error(`${label}: resolved`),
            (e: unknown) => e,
          );
          expect(error, label).toBeInstanceOf(type);
          expect((error as Error).message, label).toMatch(message);
        }
      }
      expect(await countRows(backend)).toBe(0);
      // An empty token finds nothing and deletes nothing, as SCS expects.
      expect(await nowhere.find('')).toBeNull();
      await expect(nowhere.delete('')).resolves.toBeUndefined();
      // The same calls with good input do reach the database.
      await expect(nowhere.find('t')).rejects.toThrow(/no_such_table/);
    });

    it('refuses bad options when the store is made', () => {
      expect(() => new PGStore(backend.db, { cleanupInterval: -1 })).toThrow(/cleanupInterval/);
      expect(() => new PGStore(backend.db, { cleanupInterval: 2 ** 31 })).toThrow(/cleanupInterval/);
      expect(() => new PGStore(backend.db, { cleanupJitter: 2 })).toThrow(/cleanupJitter/);
      expect(() => new PGStore(backend.db, { cleanupBatchSize: 0 })).toThrow(/cleanupBatchSize/);
      // From an environment variable, 'false' is a string: taking it as true would break PgBouncer setups.
      expect(() => new PGStore(backend.db, { preparedStatements: 'false' as never })).toThrow(
        /preparedStatements must be a boolean, got string/,
      );
      expect(() => new PGStore(undefined as never)).toThrow(/needs a Drizzle PostgreSQL database/);
      expect(() => new PGStore({} as never)).toThrow(TypeError);
      expect(() => defineSessionsTable('')).toThrow(/table name must not be empty/);
      expect(() => defineSessionsTable('x'.repeat(53))).toThrow(/table name is 53 bytes/);
      expect(() => defineSessionsTable('t', { schema: 'a\0' })).toThrow(/schema name must not contain NUL/);
    });

    it('refuses every call once closed, and closes more than once', async () => {
      const store = newStore({ cleanupInterval: 50 });
      await store.close();
      await store.close();
      for (const call of [() => store.find('t'), () => store.save('t', bytes('x'), inOneHour()), () => store.all()]) {
        await expect(call()).rejects.toBeInstanceOf(StoreClosedError);
      }
      await expect(store.delete('t')).rejects.toThrow('drizzle-pgstore: delete() called on a closed PGStore');
      expect(store.cleanup.stopped).toBe(true);
    });

    it('takes 100 concurrent saves to one token, keeping one of the written values', async () => {
      const store = newStore();
      const values = Array.from({ length: 100 }, (_, i) => bytes(`value ${i}`));
      await Promise.all(values.map((value) => store.save('contended', value, inOneHour())));
      const found = await store.find('contended');
      expect(values.some((value) => sameBytes(found, value))).toBe(true);
      expect(await countRows(backend)).toBe(1);
    });

    it('works on a custom table name and schema, even one full of quotes and semicolons', async () => {
      const schema = `odd "schema"; DROP TABLE sessions; --${uniqueName('')}`;
      const name = `user's "sessions"; --`;
      const table = defineSessionsTable(name, { schema });
      await createSessionsTable(backend, name, schema);
      const store = newStore({ table });
      await store.save('t1', bytes('one'), inOneHour());
      await store.save('t2', bytes('two'), new Date((await databaseNow(backend)) - 1000));
      expect(await store.find('t1')).not.toBeNull();
      expect([...(await store.all()).keys()]).toEqual(['t1']);
      expect(await store.deleteExpired()).toBe(1);
      await store.delete('t1');
      expect(await countRows(backend, qualified(name, schema))).toBe(0);
      // Nothing touched the default table, which still exists.
      expect(await countRows(backend)).toBe(0);
      await backend.query(`DROP SCHEMA ${qualified(schema)} CASCADE`);
    });

    it('deletes expired rows in batches, reporting progress and stopping on a signal', async () => {
      await insertRows(backend, 'sessions', 1200, -60, 'dead_');
      await insertRows(backend, 'sessions', 10, 60, 'live_');
      const store = newStore({ cleanupBatchSize: 500 });
      const aborted = AbortSignal.abort();
      expect(await store.deleteExpired({ signal: aborted })).toBe(0);
      const progress: number[] = [];
      expect(await store.deleteExpired({ onProgress: (n) => progress.push(n) })).toBe(1200);
      expect(progress).toEqual([500, 1000, 1200]);
      expect(await countRows(backend)).toBe(10);
    });

    it('lets two stores clean one table at once without repeating work', async () => {
      await insertRows(backend, 'sessions', 20_000, -60, 'dead_');
      await insertRows(backend, 'sessions', 100, 3600, 'live_');
      const [a, b] = [newStore({ cleanupBatchSize: 500 }), newStore({ cleanupBatchSize: 500 })];
      const [removedByA, removedByB] = await Promise.all([a.deleteExpired(), b.deleteExpired()]);
      expect(removedByA + removedByB).toBe(20_000);
      expect(await countRows(backend)).toBe(100);
    });

    it('reports a failed cleanup run through onError, then cleans on the next run', async () => {
      const name = uniqueName('late_table');
      const errors: unknown[] = [];
      const store = newStore({
        table: defineSessionsTable(name),
        cleanupInterval: 50,
        onError: (error) => errors.push(error),
      });
      // The table does not exist yet, so every run fails.
      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
      expect(String((errors[0] as Error).message)).toMatch(name);
      expect(store.cleanup.lastRun?.error).toBe(errors.at(-1));
      await createSessionsTable(backend, name);
      await insertRows(backend, name, 5, -60);
      await vi.waitFor(async () => expect(await countRows(backend, name)).toBe(0), { timeout: 5000, interval: 50 });
      await store.stopCleanup();
      expect(store.cleanup.lastRun?.error).toBeUndefined();
      await backend.query(`DROP TABLE ${name}`);
    });

    it('reports a failed cleanup run as one line on stderr by default', async () => {
      const lines: unknown[][] = [];
      const spy = vi.spyOn(console, 'error').mockImplementation((...args) => void lines.push(args));
      try {
        const store = newStore({ table: defineSessionsTable(uniqueName('missing')), cleanupInterval: 20 });
        await vi.waitFor(() => expect(lines.length).toBeGreaterThanOrEqual(1), { timeout: 5000 });
        await store.stopCleanup();
        expect(lines[0]).toHaveLength(1);
        expect(lines[0]![0]).toMatch(/^drizzle-pgstore: cleanup of expired sessions failed \(will retry\): .*missing_/);
        expect(lines[0]![0]).not.toContain('\n');
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('beyond pgstore: touch, tokens, count, clear', () => {
    const expiryOf = async (token: string) => {
      const [row] = await backend.query<{ ms: number | string }>(
        'SELECT (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = $1',
        [token],
      );
      return row === undefined ? undefined : Number(row.ms);
    };
    /** Row versions: a rewritten row gets a new xmin. */
    const versionOf = async (token: string) =>
      (await backend.query<{ v: string }>('SELECT xmin::text AS v FROM sessions WHERE token = $1', [token]))[0]?.v;

    it('touch moves the expiry of a live session and keeps its data', async () => {
      const store = newStore();
      await store.save('t', bytes('kept'), inOneHour());
      const later = new Date(Date.now() + 7_200_000);
      expect(await store.touch('t', later)).toBe(true);
      expect(await expiryOf('t')).toBe(later.getTime());
      expect(sameBytes(await store.find('t'), bytes('kept'))).toBe(true);
    });

    it('touch leaves the row unwritten when the expiry moves by minChange or less, and writes it beyond', async () => {
      const store = newStore();
      const first = inOneHour();
      await store.save('t', bytes('x'), first);
      const before = await versionOf('t');
      const near = new Date(first.getTime() + 60_000);
      expect(await store.touch('t', near, { minChange: 60_000 })).toBe(false);
      expect(await store.touch('t', new Date(first.getTime() - 60_000), { minChange: 60_000 })).toBe(false);
      expect(await versionOf('t')).toBe(before);
      expect(await expiryOf('t')).toBe(first.getTime());
      const far = new Date(first.getTime() + 60_001);
      expect(await store.touch('t', far, { minChange: 60_000 })).toBe(true);
      expect(await versionOf('t')).not.toBe(before);
      expect(await expiryOf('t')).toBe(far.getTime());
      expect(await store.touch('t', far)).toBe(false);
      // A window wider than the whole range of dates still works: nothing to write.
      expect(await store.touch('t', far, { minChange: Number.MAX_SAFE_INTEGER })).toBe(false);
    });

    it('touch does not revive or create a session', async () => {
      await insertRows(backend, 'sessions', 1, -60, 'gone_');
      const store = newStore();
      expect(await store.touch('gone_1', inOneHour())).toBe(false);
      expect(await store.find('gone_1')).toBeNull();
      expect(await store.touch('never', inOneHour())).toBe(false);
      expect(await store.touch('', inOneHour())).toBe(false);
      expect(await countRows(backend)).toBe(1);
    });

    it('touch refuses bad input before any query', async () => {
      const store = newStore();
      await store.save('t', bytes('x'), inOneHour());
      await expect(store.touch(42 as never, inOneHour())).rejects.toThrow(TypeError);
      await expect(store.touch('t', new Date(Number.NaN))).rejects.toThrow(/expiry is an invalid Date/);
      await expect(store.touch('t', inOneHour(), { minChange: -1 })).rejects.toThrow(/minChange/);
    });

    it('tokens and count see live sessions only; clear removes every row', async () => {
      await insertRows(backend, 'sessions', 3, 60, 'live_');
      await insertRows(backend, 'sessions', 2, -60, 'dead_');
      const store = newStore();
      expect((await store.tokens()).sort()).toEqual(['live_1', 'live_2', 'live_3']);
      expect(await store.count()).toBe(3);
      await store.clear();
      expect(await countRows(backend)).toBe(0);
      expect(await store.count()).toBe(0);
      expect(await store.tokens()).toEqual([]);
    });
  });

  describeFindWithExpiry(() => ({ backend, newStore }), { sharesAppClock });
  describeErrorSecrecy(() => ({ backend, newStore }));
}
