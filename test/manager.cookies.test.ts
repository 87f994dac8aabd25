/**
 * The manager below Request/Response: loadToken and commitCookie (SCS's Load and Commit),
 * setDeadline and mergeSession, on every backend.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionManager, type PGStoreOptions, type SessionCookie, type SessionManagerOptions } from '../src/index.js';
import { hashToken } from '../src/token-hash.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { managerTestContext } from './support/manager-suite.js';

type Data = { user: string; cart: string[]; visits: number; theme: string };

describe.each(BACKENDS)('SessionManager loadToken / commitCookie on $name', ({ open }) => {
  const context = managerTestContext(open);
  const { stores, rows } = context;
  const newManager = (options: SessionManagerOptions<Data> = {}, storeOptions: PGStoreOptions = {}) =>
    context.newManager<Data>(options, storeOptions);
  let backend: Backend;
  beforeAll(() => void (backend = context.backend));
  /** Calls of the store's writing methods on the first store made. */
  const spyWrites = () => {
    const spies = (['save', 'replace', 'delete', 'touch'] as const).map((method) => vi.spyOn(stores[0]!, method));
    return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  };

  /** A signed-in session's token, committed through commitCookie. */
  const signIn = async (manager: SessionManager<Data>, values: Partial<Data> = { user: 'ada' }) => {
    const session = await manager.loadToken(undefined);
    for (const [key, value] of Object.entries(values)) session.set(key as keyof Data, value as never);
    const cookie = await manager.commitCookie(session);
    return cookie!.value;
  };

  it('gives a new, empty session for no token, an unknown one, and garbage (garbage costs no query)', async () => {
    const manager = newManager();
    const store = stores[0]!;
    const find = vi.spyOn(store, 'findWithExpiry');
    for (const token of [undefined, null, '', 'not a token', 'x'.repeat(2000), 'a;b=c']) {
      const session = await manager.loadToken(token);
      expect(session.token).toBeNull();
      expect(session.keys()).toEqual([]);
      expect(session.status).toBe('unmodified');
    }
    expect(find).not.toHaveBeenCalled();
    const unknown = await manager.loadToken('A'.repeat(43));
    expect(unknown.token).toBeNull();
    expect(find).toHaveBeenCalledTimes(1);
  });

  it('refuses a token that is not a string, naming its type', async () => {
    const manager = newManager();
    await expect(manager.loadToken(42 as never)).rejects.toThrow(/loadToken takes a string, undefined or null, got number/);
    await expect(manager.commitCookie({} as never)).rejects.toThrow(/commitCookie takes a Session/);
  });

  it('commits a new session to a cookie in the shape cookie setters take, and loads it back by token', async () => {
    const manager = newManager({ lifetime: 3_600_000, cookie: { name: 'sid', domain: 'example.com', sameSite: 'strict' } });
    const session = await manager.loadToken(undefined);
    session.set('user', 'ada');
    const before = Date.now();
    const cookie = (await manager.commitCookie(session)) as SessionCookie;
    expect(cookie.name).toBe('sid');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.value).toBe(session.token);
    expect(cookie.options).toEqual({
      path: '/',
      domain: 'example.com',
      maxAge: 3600,
      expires: expect.any(Date),
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
    });
    expect(Math.abs(cookie.options.expires!.getTime() - (before + 3_600_000))).toBeLessThan(5_000);
    expect((await rows()).map((row) => row.token)).toEqual([hashToken(cookie.value)]);
    const loaded = await manager.loadToken(cookie.value);
    expect(loaded.token).toBe(cookie.value);
    expect(loaded.get('user')).toBe('ada');
  });

  it('returns null and writes nothing for an unchanged session, 100 times over', async () => {
    const manager = newManager();
    const token = await signIn(manager);
    const writes = spyWrites();
    for (let i = 0; i < 100; i++) {
      const session = await manager.loadToken(token);
      expect(session.get('user')).toBe('ada');
      expect(await manager.commitCookie(session)).toBeNull();
    }
    expect(writes()).toBe(0);
    expect(await manager.commitCookie(await manager.loadToken(undefined))).toBeNull();
    expect(await rows()).toHaveLength(1);
  });

  it('gives a destroyed session an expired cookie, as SCS does, and deletes its row', async () => {
    const manager = newManager();
    const session = await manager.loadToken(await signIn(manager));
    session.destroy();
    expect(await manager.commitCookie(session)).toEqual({
      name: 'session',
      value: '',
      options: { path: '/', maxAge: 0, expires: new Date(1000), httpOnly: true, secure: true, sameSite: 'lax' },
    });
    expect(new Date(1000).toUTCString()).toBe('Thu, 01 Jan 1970 00:00:01 GMT');
    expect(await rows()).toEqual([]);
  });

  it('renews the token through commitCookie; the old token is dead', async () => {
    const manager = newManager();
    const old = await signIn(manager);
    const session = await manager.loadToken(old);
    await session.renewToken();
    const cookie = await manager.commitCookie(session);
    expect(cookie!.value).not.toBe(old);
    expect((await manager.loadToken(old)).get('user')).toBeUndefined();
    expect((await manager.loadToken(cookie!.value)).get('user')).toBe('ada');
  });

  it('loses no update: 50 commits at once through commitCookie, each its own key, leave all 50', async () => {
    const manager = newManager();
    const token = await signIn(manager);
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const session = await manager.loadToken(token);
        session.set(`k${i}` as keyof Data, true as never);
        expect((await manager.commitCookie(session))!.value).toBe(token);
      }),
    );
    const keys = (await manager.loadToken(token)).keys();
    expect(keys).toEqual(['user', ...Array.from({ length: 50 }, (_, i) => `k${i}`)].sort());
  });

  it('gives a browser-session cookie (no maxAge, no expires) without persist', async () => {
    const manager = newManager({ cookie: { persist: false } });
    const session = await manager.loadToken(null);
    session.set('user', 'ada');
    const cookie = await manager.commitCookie(session);
    expect(cookie!.options).not.toHaveProperty('maxAge');
    expect(cookie!.options).not.toHaveProperty('expires');
  });

  describe('setDeadline', () => {
    it('moves the deadline: the row and the cookie expire then, and the session ends then', async () => {
      const manager = newManager({ lifetime: 3_600_000 });
      const token = await signIn(manager);
      const session = await manager.loadToken(token);
      const deadline = new Date(Date.now() + 1_500);
      session.setDeadline(deadline);
      expect(session.status).toBe('modified');
      expect(session.deadline).toEqual(deadline);
      const cookie = await manager.commitCookie(session);
      expect(cookie!.options.expires).toEqual(deadline);
      expect(cookie!.options.maxAge).toBe(2);
      const [row] = await backend.query<{ expiry: Date }>('SELECT expiry FROM sessions');
      expect(new Date(row!.expiry).getTime()).toBe(deadline.getTime());
      expect((await manager.loadToken(token)).deadline).toEqual(deadline);
      await vi.waitFor(async () => expect((await manager.loadToken(token)).token).toBeNull(), { timeout: 5_000, interval: 200 });
    });

    it('lengthens a session past its lifetime', async () => {
      const manager = newManager({ lifetime: 60_000 });
      const session = await manager.loadToken(await signIn(manager));
      const deadline = new Date(Date.now() + 30 * 24 * 3_600_000);
      session.setDeadline(deadline);
      const cookie = await manager.commitCookie(session);
      expect(cookie!.options.maxAge).toBeGreaterThan(29 * 24 * 3_600);
      expect((await manager.loadToken(cookie!.value)).deadline).toEqual(deadline);
    });

    it('keeps the deadline when another request changed the row meanwhile', async () => {
      const manager = newManager();
      const token = await signIn(manager);
      const slow = await manager.loadToken(token);
      const other = await manager.loadToken(token);
      other.set('theme', 'dark');
      await manager.commitCookie(other);
      const deadline = new Date(Date.now() + 7_200_000);
      slow.setDeadline(deadline);
      await manager.commitCookie(slow);
      const after = await manager.loadToken(token);
      expect(after.deadline).toEqual(deadline);
      expect(after.get('theme')).toBe('dark');
    });

    it.each([
      ['a string', '2030-01-01', TypeError, /setDeadline takes a valid Date, got string/],
      ['a number', Date.now() + 1000, TypeError, /got number/],
      ['an invalid Date', new Date('nope'), TypeError, /got an invalid Date/],
      ['the past', new Date(Date.now() - 1000), RangeError, /a time in the future; to end the session now, call destroy\(\)/],
      ['year 10000', new Date('+010000-01-01T00:00:00Z'), RangeError, /before the year 10000/],
    ])('refuses %s and changes nothing', async (_what, value, kind, message) => {
      const manager = newManager();
      const session = await manager.loadToken(await signIn(manager));
      const deadline = session.deadline;
      expect(() => session.setDeadline(value as Date)).toThrow(kind);
      expect(() => session.setDeadline(value as Date)).toThrow(message);
      expect(session.status).toBe('unmodified');
      expect(session.deadline).toEqual(deadline);
    });
  });

  describe('mergeSession', () => {
    it("copies the other session's values in, keeps the later deadline, and deletes the other at commit", async () => {
      const manager = newManager({ lifetime: 3_600_000 });
      const anonymous = await manager.loadToken(null);
      anonymous.set('cart', ['apple']);
      anonymous.set('theme', 'dark');
      anonymous.setDeadline(new Date(Date.now() + 7_200_000));
      const other = (await manager.commitCookie(anonymous))!.value;
      const mine = await signIn(manager, { user: 'ada', theme: 'light' });
      const session = await manager.loadToken(mine);
      await manager.mergeSession(session, other);
      expect(session.status).toBe('modified');
      expect(session.get('cart')).toEqual(['apple']);
      expect(session.get('theme')).toBe('dark');
      expect(session.get('user')).toBe('ada');
      expect(session.deadline).toEqual(anonymous.deadline);
      // Until this one is saved, the other stays: a failed request loses nothing.
      expect(await rows()).toHaveLength(2);
      const cookie = await manager.commitCookie(session);
      expect(cookie!.value).toBe(mine);
      expect((await rows()).map((row) => row.token)).toEqual([hashToken(mine)]);
      expect((await manager.loadToken(other)).token).toBeNull();
      const reloaded = await manager.loadToken(mine);
      expect(reloaded.get('cart')).toEqual(['apple']);
      expect(reloaded.deadline).toEqual(anonymous.deadline);
    });

    it('keeps the own deadline when it is the later one', async () => {
      const manager = newManager({ lifetime: 3_600_000 });
      const other = await signIn(manager, { cart: ['pear'] });
      const session = await manager.loadToken(await signIn(manager));
      const deadline = new Date(Date.now() + 9_000_000);
      session.setDeadline(deadline);
      await manager.mergeSession(session, other);
      expect(session.deadline).toEqual(deadline);
    });

    it('merges into a new session: both values end in a new row, the other is gone', async () => {
      const manager = newManager();
      const other = await signIn(manager, { cart: ['pear'] });
      const session = await manager.loadToken(undefined);
      await manager.mergeSession(session, other);
      const cookie = await manager.commitCookie(session);
      expect(cookie!.value).not.toBe(other);
      expect((await rows()).map((row) => row.token)).toEqual([hashToken(cookie!.value)]);
      expect((await manager.loadToken(cookie!.value)).get('cart')).toEqual(['pear']);
    });

    it('is a no-op, with no write, for its own token, a missing or expired one, and garbage', async () => {
      const manager = newManager();
      const mine = await signIn(manager);
      const session = await manager.loadToken(mine);
      const find = vi.spyOn(stores[0]!, 'findWithExpiry');
      await manager.mergeSession(session, mine);
      await manager.mergeSession(session, 'not a token');
      expect(find).not.toHaveBeenCalled();
      await manager.mergeSession(session, 'B'.repeat(43));
      const expired = await signIn(manager, { cart: ['old'] });
      await backend.query(`UPDATE sessions SET expiry = now() - interval '1 second' WHERE token = $1`, [hashToken(expired)]);
      await manager.mergeSession(session, expired);
      expect(session.status).toBe('unmodified');
      expect(session.get('cart')).toBeUndefined();
      expect(await manager.commitCookie(session)).toBeNull();
      await expect(manager.mergeSession(session, 7 as never)).rejects.toThrow(/mergeSession takes a token string, got number/);
      await expect(manager.mergeSession({} as never, mine)).rejects.toThrow(/mergeSession takes a Session/);
    });

    it('works with hashTokens: the other row goes by its hash', async () => {
      const manager = newManager({}, { hashTokens: true });
      const other = await signIn(manager, { cart: ['fig'] });
      const mine = await signIn(manager);
      const session = await manager.loadToken(mine);
      await manager.mergeSession(session, other);
      await manager.commitCookie(session);
      expect((await rows()).map((row) => row.token)).toEqual([hashToken(mine)]);
      expect((await manager.loadToken(mine)).get('cart')).toEqual(['fig']);
    });
  });
});
