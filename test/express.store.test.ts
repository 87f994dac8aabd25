import type { SessionData } from 'express-session';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../src/express/index.js';
import { hashToken, PGStore, SessionConflictError, StoreClosedError } from '../src/index.js';
import { openPglite, type Backend } from './support/backends.js';
import { expectNoSecret, secretSession } from './support/secrets.js';
import { inOneHour } from './support/values.js';

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
      [hashToken(sid)],
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
      { onError: 'ignore' },
      // A lifetime of 0 ends every session as it is saved; under a second is no session either.
      { ttl: 0 },
      { ttl: 0.5 },
      { maxCommitAttempts: 0 },
      { maxCommitAttempts: 1.5 },
      { maxCommitAttempts: Number.NaN },
    ];
    for (const options of bad) {
      expect(() => new ExpressSessionStore(store, options as ExpressSessionStoreOptions), JSON.stringify(options)).toThrow(
        /drizzle-pgstore: (ttl|touchAfter|disableTouch|serializer|onUnreadable|onError|maxCommitAttempts)/,
      );
    }
  });

  it('refuses touchAfter with disableTouch: true, which leaves it nothing to do', () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    expect(() => new ExpressSessionStore(store, { disableTouch: true, touchAfter: 30 })).toThrow(
      /^drizzle-pgstore: touchAfter has no effect with disableTouch: true \(touch then never writes\); give one or the other$/,
    );
    expect(() => new ExpressSessionStore(store, { disableTouch: true })).not.toThrow();
    expect(() => new ExpressSessionStore(store, { disableTouch: false, touchAfter: 30 })).not.toThrow();
    // A touchAfter longer than ttl is taken as a tenth of the lifetime (documented), not refused.
    expect(() => new ExpressSessionStore(store, { ttl: 60, touchAfter: 600 })).not.toThrow();
  });

  it('refuses a ttl function that gives 0 seconds, and saves nothing', async () => {
    const sessions = newSessions({ ttl: () => 0 });
    await expect(sessions.set('a', sessionData({}, null))).rejects.toThrow(/^drizzle-pgstore: ttl\(\) must be a number of seconds from 1 to 3155760000 \(100 years\), got number 0$/);
    expect(await storedText('a')).toBeNull();
  });

  it('plays each set onto the row another set wrote since its get: added, changed and removed keys all kept', async () => {
    const sessions = newSessions();
    await sessions.set('s', sessionData({ a: 1, b: 2, same: 'loaded' }));
    const first = (await sessions.get('s')) as unknown as Record<string, unknown>;
    const second = (await sessions.get('s')) as unknown as Record<string, unknown>;
    first.c = 3;
    first.same = 'first';
    await sessions.set('s', first as unknown as SessionData);
    delete second.b;
    second.d = 4;
    second.same = 'second';
    await sessions.set('s', second as unknown as SessionData);
    const { cookie: _cookie, ...kept } = JSON.parse((await storedText('s'))!) as Record<string, unknown>;
    // Both changed `same`: the later set wins, as it would on its own.
    expect(kept).toEqual({ a: 1, c: 3, d: 4, same: 'second' });
  });

  it('drops a set of a session destroyed since its get, and says so on stderr without the session id', async () => {
    const sessions = newSessions();
    await sessions.set('secret-sid', sessionData({ signedIn: true }));
    const loaded = (await sessions.get('secret-sid'))!;
    await sessions.destroy('secret-sid');
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await sessions.set('secret-sid', loaded);
      expect(stderr).toHaveBeenCalledExactlyOnceWith('drizzle-pgstore: a session ended by another request was not saved again');
    } finally {
      stderr.mockRestore();
    }
    expect(await storedText('secret-sid')).toBeNull();
    // A session no get gave (a new one) is saved as it is.
    await sessions.set('secret-sid', sessionData({ fresh: true }));
    expect(JSON.parse((await storedText('secret-sid'))!)).toMatchObject({ fresh: true });
  });

  it('gives up with a SessionConflictError after maxCommitAttempts tries, keeping what the other request wrote', async () => {
    const sessions = newSessions({ maxCommitAttempts: 1 });
    await sessions.set('s', sessionData({ n: 0 }));
    const loser = (await sessions.get('s')) as unknown as Record<string, unknown>;
    const winner = (await sessions.get('s')) as unknown as Record<string, unknown>;
    winner.n = 1;
    await sessions.set('s', winner as unknown as SessionData);
    loser.other = true;
    const failure = await sessions.set('s', loser as unknown as SessionData).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionConflictError);
    expect((failure as Error).message).toBe('drizzle-pgstore: gave up saving a session after 1 tries: other requests kept changing it');
    expect(JSON.parse((await storedText('s'))!)).toMatchObject({ n: 1 });
    expect(JSON.parse((await storedText('s'))!)).not.toHaveProperty('other');
  });

  it('refuses what is not a SessionStore, naming the methods a store lacks', () => {
    expect(() => new ExpressSessionStore(undefined as never)).toThrow(
      /^drizzle-pgstore: ExpressSessionStore needs a SessionStore such as a PGStore, got undefined$/,
    );
    expect(() => new ExpressSessionStore({} as PGStore)).toThrow(
      /^drizzle-pgstore: ExpressSessionStore needs a SessionStore such as a PGStore; this one has no findWithExpiry\(\), save\(\), replace\(\), delete\(\), touch\(\), all\(\), tokens\(\), count\(\), clear\(\)$/,
    );
    const methods = Object.fromEntries(
      ['find', 'findWithExpiry', 'save', 'replace', 'delete', 'touch', 'all', 'tokens', 'count', 'clear'].map((name) => [name, async () => {}]),
    );
    const { touch: _touch, ...withoutTouch } = methods;
    expect(() => new ExpressSessionStore(withoutTouch as never)).toThrow(/; this one has no touch\(\)$/);
    // Any object with the methods will do, not only a PGStore.
    expect(() => new ExpressSessionStore(methods as never)).not.toThrow();
  });

  it('refuses a ttl or touchAfter past 100 years when constructed, naming the option and the limit', async () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    const hundredYears = 3_155_760_000;
    // 1e12 s would put every expiry past 9999-12-31, so each set would fail at request time.
    for (const [name, least] of [['ttl', 1], ['touchAfter', 0]] as const) {
      expect(() => new ExpressSessionStore(store, { [name]: 1e12 })).toThrow(
        new RegExp(`^drizzle-pgstore: ${name} must be a number of seconds from ${least} to ${hundredYears} \\(100 years\\), got number 1000000000000$`),
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
    expect((await viaCallback<string[]>((cb) => sessions.ids(cb))).result?.sort()).toEqual([hashToken('a'), hashToken('b')].sort());
    expect(Object.keys((await viaCallback<object>((cb) => sessions.all(cb))).result ?? {}).sort()).toEqual([hashToken('a'), hashToken('b')].sort());
    const later = sessionData({ n: 1 }, new Date(Date.now() + 7_200_000));
    expect(await viaCallback<boolean>((cb) => sessions.touch('a', later, cb))).toEqual({ error: null, result: true });
    expect(await viaCallback<void>((cb) => sessions.destroy('a', cb))).toEqual({ error: null, result: undefined });
    expect(await sessions.get('a')).toBeNull();
    expect(await viaCallback<void>((cb) => sessions.clear(cb))).toEqual({ error: null, result: undefined });
    expect(await sessions.length()).toBe(0);
  });

  it('hands a failure to the callback and rejects the promise, with the same error', async () => {
    const sessions = newSessions();
    await stores.at(-1)!.close();
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
      `SELECT (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = '${hashToken('a')}'`,
    );
    expect(Number(row?.ms)).toBe(expires.getTime());
  });

  it('refuses a ttl function that gives no number of seconds, and saves nothing', async () => {
    const sessions = newSessions({ ttl: () => Number.NaN });
    await expect(sessions.set('a', sessionData({}, null))).rejects.toThrow(/ttl\(\) must be a number of seconds from 1 to 3155760000 \(100 years\), got number NaN$/);
    expect(await storedText('a')).toBeNull();
  });

  it('refuses a ttl function that gives more than 100 years, in set and touch, and saves nothing', async () => {
    const sessions = newSessions({ ttl: (session) => ((session as { long?: boolean }).long ? 1e12 : 60) });
    const tooLong = sessionData({ long: true }, null);
    const ttlError = /^drizzle-pgstore: ttl\(\) must be a number of seconds from 1 to 3155760000 \(100 years\), got number 1000000000000$/;
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
    await backend.query(`UPDATE sessions SET data = '\\xff'::bytea WHERE token = '${hashToken('bytes')}'`);
    await backend.query(`UPDATE sessions SET data = convert_to('42', 'UTF8') WHERE token = '${hashToken('number')}'`);
    expect(await sessions.get('bytes')).toBeNull();
    expect(await sessions.get('number')).toBeNull();
    expect(onUnreadable.mock.calls).toEqual([
      ['bytes', expect.any(TypeError)],
      ['number', expect.objectContaining({ message: expect.stringMatching(/^drizzle-pgstore: a stored session could not be read: it parsed to a number, not an object$/) })],
    ]);
    // Left as they are: a row this adapter cannot read may be another adapter's live session.
    expect(await sessions.length()).toBe(2);
  });

  it('reports one stderr line for an unreadable row by default, without the session id', async () => {
    const sessions = newSessions();
    await sessions.set('secret-sid', sessionData());
    await backend.query(`UPDATE sessions SET data = convert_to('{', 'UTF8')`);
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await sessions.get('secret-sid')).toBeNull();
      expect(stderr).toHaveBeenCalledOnce();
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^drizzle-pgstore: a stored session could not be read: .*; the row was left as it is$/);
      expect(String(stderr.mock.calls[0]?.[0])).not.toContain('secret-sid');
    } finally {
      stderr.mockRestore();
    }
  });

  it('all() leaves out rows it cannot read, without a report per row, and leaves them in the table', async () => {
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    await sessions.set('good', sessionData({ n: 1 }));
    await sessions.set('bad', sessionData());
    await backend.query(`UPDATE sessions SET data = convert_to('nope', 'UTF8') WHERE token = '${hashToken('bad')}'`);
    expect(Object.keys(await sessions.all())).toEqual([hashToken('good')]);
    expect(onUnreadable).not.toHaveBeenCalled();
    expect(await storedText('bad')).toBe('nope');
  });

  it('names the type and the value of a bad option, a string in quotes', () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ttl: '3600' }, /^drizzle-pgstore: ttl must be a number of seconds .*, got string "3600"$/],
      [{ ttl: null }, /^drizzle-pgstore: ttl must be .*, got null$/],
      [{ touchAfter: '60' }, /^drizzle-pgstore: touchAfter must be .*, got string "60"$/],
      [{ touchAfter: -5 }, /^drizzle-pgstore: touchAfter must be .*, got number -5$/],
      [{ disableTouch: 'yes' }, /^drizzle-pgstore: disableTouch must be a boolean, got string "yes"$/],
      [{ serializer: 'json' }, /^drizzle-pgstore: serializer must have stringify\(session\) and parse\(text\) functions, got string "json"$/],
      [{ serializer: { parse: JSON.parse } }, /^drizzle-pgstore: serializer must have .*, got object$/],
      [{ onUnreadable: 'ignore' }, /^drizzle-pgstore: onUnreadable must be a function, got string "ignore"$/],
    ];
    for (const [options, message] of cases) {
      expect(() => new ExpressSessionStore(store, options as ExpressSessionStoreOptions), JSON.stringify(options)).toThrow(message);
    }
    expect(() => new ExpressSessionStore(store, 'fast' as never)).toThrow(
      /^drizzle-pgstore: ExpressSessionStore options must be an object, got string "fast"$/,
    );
  });

  it('names what a ttl function gave when it is no number of seconds', async () => {
    const sessions = newSessions({ ttl: () => '60' as unknown as number });
    await expect(sessions.set('a', sessionData({}, null))).rejects.toThrow(/ttl\(\) must be .*, got string "60"$/);
  });

  it('refuses an unknown option by name, with a hint when one known option is close', () => {
    const store = new PGStore(backend.db, { cleanupInterval: 0 });
    stores.push(store);
    expect(() => new ExpressSessionStore(store, { touchafter: 5 } as ExpressSessionStoreOptions)).toThrow(
      /^drizzle-pgstore: ExpressSessionStore has no option "touchafter" \(did you mean "touchAfter"\?\)$/,
    );
    expect(() => new ExpressSessionStore(store, { ttlSeconds: 5 } as ExpressSessionStoreOptions)).toThrow(
      /^drizzle-pgstore: ExpressSessionStore has no option "ttlSeconds"; its options are ttl, touchAfter, disableTouch, maxCommitAttempts, serializer, onUnreadable, onError, ownerOf$/,
    );
  });

  it('says a stored array or null parsed to an array or null', async () => {
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    for (const [sid, text] of [['array', '[{"cookie":{}}]'], ['null', 'null']]) {
      await backend.query(`INSERT INTO sessions VALUES ($1, convert_to($2, 'UTF8'), current_timestamp + interval '1 hour')`, [hashToken(sid!), text]);
      expect(await sessions.get(sid!)).toBeNull();
    }
    expect(onUnreadable.mock.calls.map(([sid, error]) => [sid, (error as Error).message])).toEqual([
      ['array', 'drizzle-pgstore: a stored session could not be read: it parsed to an array, not an object'],
      ['null', 'drizzle-pgstore: a stored session could not be read: it parsed to null, not an object'],
    ]);
  });

  it('treats a stored session without a usable cookie as unreadable: null, row left, one report per get', async () => {
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    const rows: Array<[string, string, RegExp]> = [
      ['none', '{"views":1}', /it has no cookie$/],
      ['null', '{"cookie":null}', /its cookie is null, not an object$/],
      ['text', '{"cookie":"x"}', /its cookie is a string, not an object$/],
      ['list', '{"cookie":[]}', /its cookie is an array, not an object$/],
      ['max age', '{"cookie":{"originalMaxAge":"x"}}', /its cookie's originalMaxAge is a string, not a number$/],
    ];
    for (const [sid, text] of rows) {
      await backend.query(`INSERT INTO sessions VALUES ($1, convert_to($2, 'UTF8'), current_timestamp + interval '1 hour')`, [hashToken(sid), text]);
    }
    expect(Object.keys(await sessions.all())).toEqual([]);
    expect(onUnreadable).not.toHaveBeenCalled();
    for (const [sid, , message] of rows) {
      expect(await sessions.get(sid), sid).toBeNull();
      expect(onUnreadable).toHaveBeenLastCalledWith(sid, expect.objectContaining({ message: expect.stringMatching(message) }));
    }
    expect(onUnreadable).toHaveBeenCalledTimes(rows.length);
    expect(await sessions.length()).toBe(rows.length);
  });

  it('reports a row that is not valid JSON without quoting it, to onUnreadable and on stderr', async () => {
    const session = await secretSession();
    const onUnreadable = vi.fn();
    const sessions = newSessions({ onUnreadable });
    // V8 quotes a short text it cannot parse, whole, in its SyntaxError.
    const secret = session.marker.slice(0, 14);
    const text = `x ${secret}`;
    expect(() => JSON.parse(text)).toThrow(secret);
    const plant = () =>
      backend.query(`INSERT INTO sessions VALUES ($1, convert_to($2, 'UTF8'), current_timestamp + interval '1 hour')`, [hashToken(session.token), text]);
    await plant();
    expect(await sessions.get(session.token)).toBeNull();
    expect(onUnreadable).toHaveBeenCalledExactlyOnceWith(session.token, expect.any(SyntaxError));
    const [[, error]] = onUnreadable.mock.calls as [[string, Error]];
    expect(error.message).toBe('drizzle-pgstore: a stored session could not be read: it is not valid JSON');
    expectNoSecret(error, { ...session, forms: [secret] }, 'onUnreadable');

    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await newSessions().get(session.token)).toBeNull();
      expect(stderr).toHaveBeenCalledExactlyOnceWith(
        'drizzle-pgstore: a stored session could not be read: it is not valid JSON; the row was left as it is',
      );
    } finally {
      stderr.mockRestore();
    }
  });

  it('get gives the cookie the expiry the row has, moved by touch, without costing a write', async () => {
    const sessions = newSessions({ touchAfter: 0 });
    const saved = inOneHour();
    await sessions.set('a', sessionData({ n: 1 }, saved.toISOString()));
    const touched = new Date(saved.getTime() + 1_800_000);
    expect(await sessions.touch('a', sessionData({ n: 1 }, touched))).toBe(true);
    const [before] = await backend.query<{ v: string }>(`SELECT xmin::text AS v FROM sessions WHERE token = '${hashToken('a')}'`);
    const got = (await sessions.get('a'))!;
    expect(got.cookie.expires).toBe(touched.toISOString());
    expect(got).toMatchObject({ n: 1 });
    const [after] = await backend.query<{ v: string }>(`SELECT xmin::text AS v FROM sessions WHERE token = '${hashToken('a')}'`);
    expect(after).toEqual(before);

    // A browser-session cookie (no maxAge) has no expiry, and keeps none; the row still expires after ttl.
    await sessions.set('b', sessionData({}, null));
    expect((await sessions.get('b'))!.cookie.expires).toBeNull();

    // A stored expiry that is no date gets the row's, which is one.
    await sessions.set('c', sessionData({}, saved));
    await backend.query(
      `UPDATE sessions SET data = convert_to('{"cookie":{"expires":"soon","originalMaxAge":60000}}', 'UTF8') WHERE token = '${hashToken('c')}'`,
    );
    expect((await sessions.get('c'))!.cookie.expires).toBe(saved.toISOString());
  });

  it('touch of a missing or expired session writes nothing and says so', async () => {
    const sessions = newSessions({ touchAfter: 0 });
    expect(await sessions.touch('missing', sessionData())).toBe(false);
    expect(await sessions.touch('missing', sessionData({}, new Date(Date.now() - 1000)))).toBe(false);
    expect(await sessions.length()).toBe(0);
  });
});
