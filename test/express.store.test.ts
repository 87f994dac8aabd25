import type { SessionData } from 'express-session';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../src/express.js';
import { PGStore, StoreClosedError } from '../src/index.js';
import { openPglite, type Backend } from './support/backends.js';

const inOneHour = () => new Date(Date.now() + 3_600_000);
const sessionData = (fields: Record<string, unknown> = {}, expires: Date | string | null = inOneHour()) =>
  ({ cookie: { originalMaxAge: null, expires }, ...fields }) as unknown as SessionData;

/** Calls `method` with a callback and resolves with what the callback was given. */
const viaCallback = <T>(method: (callback: (error: unknown, result?: T) => void) => unknown) =>
  new Promise<{ error: unknown; result: T | undefined }>((resolve) => {
    method((error, result) => resolve({ error, result }));
  });

// The adapter's own contract, apart from any framework. Backend-independent, so PGlite only.
describe('ExpressSessionStore', () => {
  let backend: Backend;
  const stores: PGStore[] = [];
  const newSessions = (options: ExpressSessionStoreOptions = {}) => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    return new ExpressSessionStore(store, options);
  };
  const storedText = async (sid: string) => {
    const [row] = await backend.query<{ text: string }>(
      `SELECT convert_from(data, 'UTF8') AS text FROM sessions WHERE token = $1`,
      [sid],
    );
    return row?.text ?? null;
  };

  beforeAll(async () => {
    backend = await openPglite();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('refuses options that are not what they should be, when constructed', () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    const bad = [
      { ttl: -1 },
      { ttl: Number.NaN },
      { ttl: '3600' },
      { touchAfter: Number.POSITIVE_INFINITY },
      { touchAfter: -5 },
      { disableTouch: 'yes' },
      { serializer: { stringify: JSON.stringify } },
      { onUnreadable: 'ignore' },
    ];
    for (const options of bad) {
      expect(() => new ExpressSessionStore(store, options as ExpressSessionStoreOptions), JSON.stringify(options)).toThrow(
        /drizzle-pgstore: (ttl|touchAfter|disableTouch|serializer|onUnreadable)/,
      );
    }
    expect(() => new ExpressSessionStore({} as PGStore)).toThrow(/needs a PGStore/);
  });

  it('refuses a ttl or touchAfter past 100 years when constructed, naming the option and the limit', async () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    const hundredYears = 3_155_760_000;
    // 1e12 s would put every expiry past 9999-12-31, so each set would fail at request time.
    for (const name of ['ttl', 'touchAfter'] as const) {
      expect(() => new ExpressSessionStore(store, { [name]: 1e12 })).toThrow(
        new RegExp(`^drizzle-pgstore: ${name} must be a finite number of seconds from 0 to ${hundredYears} \\(100 years\\), got 1000000000000$`),
      );
      expect(() => new ExpressSessionStore(store, { [name]: hundredYears + 1 })).toThrow(RangeError);
      expect(() => new ExpressSessionStore(store, { [name]: hundredYears })).not.toThrow();
    }
    // The longest ttl still saves: its expiry is well inside what the store accepts.
    const sessions = new ExpressSessionStore(store, { ttl: hundredYears });
    await sessions.set('a', sessionData({}, null));
    expect(await storedText('a')).not.toBeNull();
  });

  it('answers each method both through the callback and the promise', async () => {
    const sessions = newSessions();
    const data = sessionData({ n: 1 });
    expect(await viaCallback<void>((cb) => sessions.set('a', data, cb))).toEqual({ error: null, result: undefined });
    await sessions.set('b', sessionData({ n: 2 }));

    const got = await viaCallback<SessionData | null>((cb) => sessions.get('a', cb));
    expect(got.error).toBeNull();
    expect(got.result).toEqual(await sessions.get('a'));
    expect(got.result).toMatchObject({ n: 1 });

    expect(await viaCallback<number>((cb) => sessions.length(cb))).toEqual({ error: null, result: 2 });
    expect((await viaCallback<string[]>((cb) => sessions.ids(cb))).result?.sort()).toEqual(['a', 'b']);
    expect(Object.keys((await viaCallback<object>((cb) => sessions.all(cb))).result ?? {}).sort()).toEqual(['a', 'b']);
    const later = sessionData({ n: 1 }, new Date(Date.now() + 7_200_000));
    expect(await viaCallback<boolean>((cb) => sessions.touch('a', later, cb))).toEqual({ error: null, result: true });
    expect(await viaCallback<void>((cb) => sessions.destroy('a', cb))).toEqual({ error: null, result: undefined });
    expect(await sessions.get('a')).toBeNull();
    expect(await viaCallback<void>((cb) => sessions.clear(cb))).toEqual({ error: null, result: undefined });
    expect(await sessions.length()).toBe(0);
  });

  it('hands a failure to the callback and rejects the promise, with the same error', async () => {
    const sessions = newSessions();
    await sessions.store.close();
    let fromCallback: unknown;
    const promise = sessions.get('a', (error) => {
      fromCallback = error;
    });
    await expect(promise).rejects.toBeInstanceOf(StoreClosedError);
    await vi.waitFor(() => expect(fromCallback).toBeInstanceOf(StoreClosedError));
    // With a callback and nobody awaiting, the rejection must not surface as unhandled
    // (vitest fails the run if it does).
    await new Promise((resolve) => sessions.set('a', sessionData(), resolve));
    await new Promise(setImmediate);
  });

  it('deletes instead of saving a session whose expiry has passed', async () => {
    const sessions = newSessions();
    await sessions.set('a', sessionData({ n: 1 }));
    await sessions.set('a', sessionData({ n: 2 }, new Date(Date.now() - 1000)));
    expect(await storedText('a')).toBeNull();
  });

  it('reads a cookie expiry that arrives as text, as in plain data from JSON', async () => {
    const sessions = newSessions({ ttl: 60 });
    const expires = new Date(Date.now() + 5 * 86_400_000);
    await sessions.set('a', sessionData({}, expires.toISOString()));
    const [row] = await backend.query<{ ms: number }>(
      `SELECT (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = 'a'`,
    );
    expect(Number(row?.ms)).toBe(expires.getTime());
  });

  it('refuses a ttl function that gives no number of seconds, and saves nothing', async () => {
    const sessions = newSessions({ ttl: () => Number.NaN });
    await expect(sessions.set('a', sessionData({}, null))).rejects.toThrow(/ttl\(\) must be a finite number/);
    expect(await storedText('a')).toBeNull();
  });

  it('refuses a ttl function that gives more than 100 years, in set and touch, and saves nothing', async () => {
    const sessions = newSessions({ ttl: (session) => ((session as { long?: boolean }).long ? 1e12 : 60) });
    const tooLong = sessionData({ long: true }, null);
    const ttlError = /^drizzle-pgstore: ttl\(\) must be a finite number of seconds from 0 to 3155760000 \(100 years\), got 1000000000000$/;
    await expect(sessions.set('a', tooLong)).rejects.toThrow(RangeError);
    await expect(sessions.set('a', tooLong)).rejects.toThrow(ttlError);
    expect((await viaCallback<void>((cb) => sessions.set('a', tooLong, cb))).error).toBeInstanceOf(RangeError);
    expect(await storedText('a')).toBeNull();

    await sessions.set('b', sessionData({}, null));
    await expect(sessions.touch('b', tooLong)).rejects.toThrow(ttlError);
  });

  it('stores what the serializer makes, and reads it back through it', async () => {
    const serializer = {
      stringify: (session: SessionData) => `v1:${JSON.stringify(session)}`,
      parse: (text: string) => JSON.parse(text.replace(/^v1:/, '')) as SessionData,
    };
    const sessions = newSessions({ serializer });
    await sessions.set('a', sessionData({ name: 'Zoë ✓' }));
    expect(await storedText('a')).toMatch(/^v1:\{/);
    expect(await sessions.get('a')).toMatchObject({ name: 'Zoë ✓' });
  });

  it('treats a row that is not UTF-8, or not an object, as unreadable', async () => {
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    await sessions.set('bytes', sessionData());
    await sessions.set('number', sessionData());
    await backend.query(`UPDATE sessions SET data = '\\xff'::bytea WHERE token = 'bytes'`);
    await backend.query(`UPDATE sessions SET data = convert_to('42', 'UTF8') WHERE token = 'number'`);
    expect(await sessions.get('bytes')).toBeNull();
    expect(await sessions.get('number')).toBeNull();
    expect(onUnreadable.mock.calls).toEqual([
      ['bytes', expect.any(TypeError)],
      ['number', expect.objectContaining({ message: expect.stringMatching(/not an object/) })],
    ]);
    expect(await sessions.length()).toBe(0);
  });

  it('reports one stderr line for an unreadable row by default, without the session id', async () => {
    const sessions = newSessions();
    await sessions.set('secret-sid', sessionData());
    await backend.query(`UPDATE sessions SET data = convert_to('{', 'UTF8')`);
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await sessions.get('secret-sid')).toBeNull();
      expect(stderr).toHaveBeenCalledOnce();
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^drizzle-pgstore: deleted a stored session that could not be read/);
      expect(String(stderr.mock.calls[0]?.[0])).not.toContain('secret-sid');
    } finally {
      stderr.mockRestore();
    }
  });

  it('all() leaves out unreadable rows and reports them', async () => {
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    await sessions.set('good', sessionData({ n: 1 }));
    await sessions.set('bad', sessionData());
    await backend.query(`UPDATE sessions SET data = convert_to('nope', 'UTF8') WHERE token = 'bad'`);
    expect(Object.keys(await sessions.all())).toEqual(['good']);
    expect(onUnreadable).toHaveBeenCalledExactlyOnceWith('bad', expect.any(SyntaxError));
  });

  it('touch of a missing or expired session writes nothing and says so', async () => {
    const sessions = newSessions({ touchAfter: 0 });
    expect(await sessions.touch('missing', sessionData())).toBe(false);
    expect(await sessions.touch('missing', sessionData({}, new Date(Date.now() - 1000)))).toBe(false);
    expect(await sessions.length()).toBe(0);
  });
});
