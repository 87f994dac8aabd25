/**
 * Session values as JSON holds them: `undefined` removes, nested `undefined` is left out,
 * and what cannot be kept is refused naming its full path. set() decides before any query.
 */
import { afterAll, expect, it } from 'vitest';
import { PGStore } from '../../src/index.js';
import { SessionManager } from '../../src/manager/manager.js';
import { unreachableDatabase } from '../support/unreachable-database.js';

type Data = { flash: { email?: string | undefined; name: string }; user: string; cart: unknown[] };

const database = unreachableDatabase();
const store = new PGStore(database.db, { cleanupInterval: 0 });
const manager = new SessionManager<Data>(store);
afterAll(async () => {
  await store.close();
  await database.close();
});

it("set(k, undefined) removes k, type-checks for a required key, and is no change when k is absent", async () => {
  const session = await manager.loadToken(undefined);
  session.set('user', 'ada');
  session.set('user', undefined);
  expect(session.has('user')).toBe(false);
  expect(session.keys()).toEqual([]);
  const fresh = await manager.loadToken(null);
  fresh.set('user', undefined);
  expect(fresh.status).toBe('unmodified');
  expect(database.connectionAttempts).toBe(0);
});

it('leaves out a nested property holding undefined, as JSON does', async () => {
  const session = await manager.loadToken(undefined);
  session.set('flash', { email: undefined, name: 'ada' });
  expect(session.get('flash')).toStrictEqual({ name: 'ada' });
  session.set('cart', [{ sku: 'x', note: undefined }]);
  expect(session.get('cart')).toStrictEqual([{ sku: 'x' }]);
});

it('names the full path of a value it cannot keep, never the value, and changes nothing', async () => {
  const session = await manager.loadToken(undefined);
  expect(() => session.set('flash', { name: 'ada', email: (() => 'secret-value') as never })).toThrow(
    'session value at "flash.email" is a function, which JSON cannot hold',
  );
  expect(() => session.set('cart', [1, undefined])).toThrow(/^session value at "cart\[1\]" is undefined/);
  expect(() => session.set('cart', [{ n: Number.NaN }])).toThrow(/"cart\[0\]\.n" is NaN/);
  expect(() => session.set('flash', { name: 'ada', email: 'secret-value', extra: new Map() } as never)).toThrow(
    /^session value at "flash\.extra" is a Map; only plain objects/,
  );
  expect(() => session.set('flash', { name: 'ada', email: 'secret-value', extra: new Map() } as never)).not.toThrow(/secret-value/);
  expect(session.keys()).toEqual([]);
  expect(session.status).toBe('unmodified');
});
