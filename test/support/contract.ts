import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { defineSessionsTable, hashToken, PGStore, type PGStoreOptions } from '../../src/index.js';
import { uniqueName, type Backend, type OpenBackend } from './backends.js';
import { describeErrorSecrecy } from './error-secrecy.js';
import { describeFindWithExpiry } from './find-with-expiry.js';
import { countRows, createSessionsTable, databaseNow, insertRows, qualified, sameBytes } from './sql.js';
import { bytes, inOneHour } from './values.js';

export interface ContractOptions {
  /** An in-process database, whose clock is the app's. */
  sharesAppClock?: boolean;
  /** Every store the suite makes keeps the SHA-256 of each token instead of the token. */
  hashTokens?: boolean;
  /** Go to every store the suite makes (e.g. `preparedStatements: false` behind PgBouncer). */
  storeOptions?: PGStoreOptions;
}

/**
 * The behaviour every backend must show: SCS pgstore's own tests, ported, and what a
 * Node session store adds to them. Checks that never reach the database are in
 * store.input.test.ts, run once.
 */
export function describeStoreContract(open: OpenBackend, { sharesAppClock = false, hashTokens = false, storeOptions = {} }: ContractOptions = {}) {
  let backend: Backend;
  const stores: PGStore[] = [];
  /** The key a token's row is kept under. */
  const key = (token: string) => (hashTokens ? hashToken(token) : token);
  const keys = (...tokens: string[]) => tokens.map(key).sort();
  const insert = (table: string, count: number, seconds: number, prefix?: string) =>
    insertRows(backend, table, count, seconds, prefix, { hashTokens });
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(backend.db, { cleanupInterval: 0, ...storeOptions, hashTokens, ...options });
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
      await insert('sessions', 1, 60, 'session_token_');
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
        `SELECT data, (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = $1`,
        [key('session_token')],
      );
      expect(rows).toHaveLength(1);
      expect(sameBytes(rows[0]!.data, bytes('encoded_data'))).toBe(true);
      expect(Number(rows[0]!.ms)).toBe(expiry.getTime());
    });

    it('updates the data and expiry of an existing session', async () => {
      await insert('sessions', 1, 60, 'session_token_');
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
      await insert('sessions', 1, 60, 'session_token_');
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
      await insert('sessions', 1, -60);
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
      await insert('sessions', 3, 60, 'live_');
      await insert('sessions', 2, -60, 'dead_');
      const all = await store.all();
      expect([...all.keys()].sort()).toEqual(keys('live_1', 'live_2', 'live_3'));
      expect(new TextDecoder().decode(all.get(key('live_2')))).toBe('data 2');
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
      expect(sameBytes((await store.all()).get(key('big'))!, data)).toBe(true);
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
      expect([...(await store.all()).keys()]).toEqual([key('live')]);
      expect(await store.deleteExpired()).toBe(1);
      expect(await countRows(backend)).toBe(1);
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
      expect([...(await store.all()).keys()]).toEqual([key('t1')]);
      expect(await store.deleteExpired()).toBe(1);
      await store.delete('t1');
      expect(await countRows(backend, qualified(name, schema))).toBe(0);
      // Nothing touched the default table, which still exists.
      expect(await countRows(backend)).toBe(0);
      await backend.query(`DROP SCHEMA ${qualified(schema)} CASCADE`);
    });

    it('deletes expired rows in batches, reporting progress and stopping on a signal', async () => {
      await insert('sessions', 1200, -60, 'dead_');
      await insert('sessions', 10, 60, 'live_');
      const store = newStore({ cleanupBatchSize: 500 });
      const aborted = AbortSignal.abort();
      expect(await store.deleteExpired({ signal: aborted })).toBe(0);
      const progress: number[] = [];
      expect(await store.deleteExpired({ onProgress: (n) => progress.push(n) })).toBe(1200);
      expect(progress).toEqual([500, 1000, 1200]);
      expect(await countRows(backend)).toBe(10);
    });

    it('lets two stores clean one table at once without repeating work', async () => {
      await insert('sessions', 20_000, -60, 'dead_');
      await insert('sessions', 100, 3600, 'live_');
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
      await insert(name, 5, -60);
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
        [key(token)],
      );
      return row === undefined ? undefined : Number(row.ms);
    };
    /** Row versions: a rewritten row gets a new xmin. */
    const versionOf = async (token: string) =>
      (await backend.query<{ v: string }>('SELECT xmin::text AS v FROM sessions WHERE token = $1', [key(token)]))[0]?.v;

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
      await insert('sessions', 1, -60, 'gone_');
      const store = newStore();
      expect(await store.touch('gone_1', inOneHour())).toBe(false);
      expect(await store.find('gone_1')).toBeNull();
      expect(await store.touch('never', inOneHour())).toBe(false);
      expect(await store.touch('', inOneHour())).toBe(false);
      expect(await countRows(backend)).toBe(1);
    });

    it('tokens and count see live sessions only; clear removes every row', async () => {
      await insert('sessions', 3, 60, 'live_');
      await insert('sessions', 2, -60, 'dead_');
      const store = newStore();
      expect((await store.tokens()).sort()).toEqual(keys('live_1', 'live_2', 'live_3'));
      expect(await store.count()).toBe(3);
      await store.clear();
      expect(await countRows(backend)).toBe(0);
      expect(await store.count()).toBe(0);
      expect(await store.tokens()).toEqual([]);
    });
  });

  // Only a store that hashes has tokens at rest to keep out of the table.
  if (hashTokens) describe('tokens at rest', () => {
    it('keeps no raw token anywhere in the table, only its hash', async () => {
      const store = newStore();
      // Tokens as apps make them: random and URL-safe, and one with non-ASCII text.
      const tokens = Array.from({ length: 20 }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'));
      tokens.push('sessión-ключ');
      for (const [i, token] of tokens.entries()) await store.save(token, bytes(`data of session ${i}`), inOneHour());
      const rows = await backend.query<{ row: string; token: string }>('SELECT s::text AS row, token FROM sessions s');
      for (const { row } of rows) {
        for (const token of tokens) expect(row).not.toContain(token);
      }
      expect(rows.map((r) => r.token).sort()).toEqual(keys(...tokens));
      expect(await store.find(hashToken(tokens[0]!))).toBeNull();
    });

    it('does not share sessions with a store that does not hash: turning it on signs everyone out', async () => {
      const store = newStore();
      const plain = newStore({ hashTokens: false });
      await plain.save('plain-token', bytes('p'), inOneHour());
      await store.save('hashed-token', bytes('h'), inOneHour());
      expect(await store.find('plain-token')).toBeNull();
      expect(await plain.find('hashed-token')).toBeNull();
    });

    it('finds no session stored under the hex hash of earlier versions, until one UPDATE rewrites those keys', async () => {
      const store = newStore();
      const token = 'q3Jt7pW0b1xYzK9vR2sLmN4cE6uA8dH5fG0jT1iV3oQ';
      const hex = createHash('sha256').update(token, 'utf8').digest('hex');
      await backend.query(`INSERT INTO sessions VALUES ($1, '\\x01', current_timestamp + interval '1 hour')`, [hex]);
      expect(await store.find(token)).toBeNull();
      // The statement for tables hashed before: hex to base64url without padding, in SQL.
      await backend.query(
        `UPDATE sessions SET token = rtrim(translate(encode(decode(token, 'hex'), 'base64'), '+/', '-_'), '=')
         WHERE token ~ '^[0-9a-f]{64}$'`,
      );
      expect(sameBytes(await store.find(token), new Uint8Array([1]))).toBe(true);
    });
  });

  describeFindWithExpiry(() => ({ backend, newStore, key }), { sharesAppClock });
  describeErrorSecrecy(() => ({ backend, newStore }), { hashTokens });
}
