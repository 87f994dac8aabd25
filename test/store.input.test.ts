import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { defineSessionsTable, PGStore, StoreClosedError, type PGStoreOptions } from '../src/index.js';
import { unreachableDatabase } from './support/unreachable-database.js';
import { bytes, inOneHour } from './support/values.js';

// Calls refused before any query: on a database no connection is ever made to, once, not per backend.
describe('PGStore refuses bad calls before any query', () => {
  const database = unreachableDatabase();
  const stores: PGStore[] = [];
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(database.db, { cleanupInterval: 0, ...options });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    expect(database.connectionAttempts).toBe(0);
  });
  afterAll(() => database.close());

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
    ['findWithExpiry(number)', (s) => s.findWithExpiry(42 as never), TypeError, /token must be a string/],
    ['delete(null)', (s) => s.delete(null as unknown as string), TypeError, /token must be a string, got null/],
    ['touch(number)', (s) => s.touch(42 as never, inOneHour()), TypeError, /token must be a string/],
    ['touch to an invalid date', (s) => s.touch('t', new Date(Number.NaN)), RangeError, /expiry is an invalid Date/],
    ['touch with a negative minChange', (s) => s.touch('t', inOneHour(), { minChange: -1 }), RangeError, /minChange/],
  ];

  describe.each([{ hashTokens: false }, { hashTokens: true }])('hashTokens: $hashTokens', ({ hashTokens }) => {
    it.each(cases)('%s: an error naming it', async (_label, call, type, message) => {
      const error = await call(newStore({ hashTokens })).then(
        () => new Error('resolved'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    });

    it('finds nothing for an empty token and deletes nothing, as SCS expects', async () => {
      const store = newStore({ hashTokens });
      expect(await store.find('')).toBeNull();
      expect(await store.findWithExpiry('')).toBeNull();
      expect(await store.touch('', inOneHour())).toBe(false);
      await expect(store.delete('')).resolves.toBeUndefined();
    });
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

  it('refuses bad options when the store is made', () => {
    expect(() => new PGStore(database.db, { cleanupInterval: -1 })).toThrow(/cleanupInterval/);
    expect(() => new PGStore(database.db, { cleanupInterval: 2 ** 31 })).toThrow(/cleanupInterval/);
    expect(() => new PGStore(database.db, { cleanupJitter: 2 })).toThrow(/cleanupJitter/);
    expect(() => new PGStore(database.db, { cleanupBatchSize: 0 })).toThrow(/cleanupBatchSize/);
    // From an environment variable, 'false' is a string: taking it as true would break PgBouncer setups.
    expect(() => new PGStore(database.db, { preparedStatements: 'false' as never })).toThrow(/preparedStatements must be a boolean, got string/);
    expect(() => new PGStore(undefined as never)).toThrow(/needs a Drizzle PostgreSQL database/);
    expect(() => new PGStore({} as never)).toThrow(TypeError);
    expect(() => defineSessionsTable('')).toThrow(/table name must not be empty/);
    expect(() => defineSessionsTable('x'.repeat(53))).toThrow(/table name is 53 bytes/);
    expect(() => defineSessionsTable('t', { schema: 'a\0' })).toThrow(/schema name must not contain NUL/);
  });
});

describe('unreachableDatabase', () => {
  it('counts a query that is sent, which fails as a refused connection', async () => {
    const database = unreachableDatabase();
    const store = new PGStore(database.db, { cleanupInterval: 0 });
    try {
      await expect(store.find('t')).rejects.toThrow(/^drizzle-pgstore: find failed: connect ECONNREFUSED/);
      expect(database.connectionAttempts).toBe(1);
    } finally {
      await store.close();
      await database.close();
    }
  });
});
