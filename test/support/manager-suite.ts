import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PGStore, type PGStoreOptions } from '../../src/index.js';
import { SessionManager, type SessionManagerOptions } from '../../src/manager/manager.js';
import { hashToken } from '../../src/token-hash.js';
import type { Backend, OpenBackend } from './backends.js';

const ORIGIN = 'http://127.0.0.1';

/** A visitor: sends requests to a fetch handler with the cookies the handler gave it. */
class Visitor {
  readonly jar = new Map<string, string>();
  constructor(readonly fetch: (request: Request) => Promise<Response>) {}

  async get(path = '/'): Promise<Response> {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.fetch(new Request(`${ORIGIN}${path}`, { headers: cookie ? { cookie } : {} }));
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (value === '' || /Max-Age=0/.test(line)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  get token(): string | undefined {
    return this.jar.get('session');
  }
}

/**
 * A describe block's backend (opened once, its table emptied before each test) and the
 * managers its tests make, each on a PGStore of its own that is closed after the test.
 */
export function managerTestContext(open: OpenBackend) {
  let backend: Backend | undefined;
  const stores: PGStore[] = [];
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(backend!.db, { cleanupInterval: 0, ...options });
    stores.push(store);
    return store;
  };
  const newManager = <D extends Record<string, unknown> = Record<string, unknown>>(
    options: SessionManagerOptions<D> = {},
    storeOptions: PGStoreOptions = {},
  ) => new SessionManager<D>(newStore(storeOptions), options);

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend!.query('TRUNCATE sessions'));
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    vi.restoreAllMocks();
  });
  return {
    get backend() {
      return backend!;
    },
    stores,
    newManager,
    rows: () => backend!.query<{ token: string }>('SELECT token FROM sessions ORDER BY token'),
  };
}

/**
 * The SessionManager on one backend: SCS's manager behaviour, with the writes it saves and
 * the updates it does not lose.
 */
export function describeManagerContract(open: OpenBackend) {
  const context = managerTestContext(open);
  const { newManager, rows } = context;
  let backend: Backend;
  beforeAll(() => void (backend = context.backend));

  /** A handler that counts visits in the session. */
  const counter = (manager: SessionManager<{ visits: number }>) =>
    manager.handle(async (_request, session) => {
      session.set('visits', (session.get('visits') ?? 0) + 1);
      return new Response(String(session.get('visits')));
    });

  it('gives a visitor without a cookie a new, empty session, and writes nothing for it unchanged', async () => {
    const manager = newManager();
    const visitor = new Visitor(manager.handle(async (_request, session) => {
      expect(session.status).toBe('unmodified');
      expect(session.token).toBeNull();
      expect(session.keys()).toEqual([]);
      return new Response('hi');
    }));
    const response = await visitor.get();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('Vary')).toBeNull();
    expect(response.headers.get('Cache-Control')).toBeNull();
    expect(await rows()).toEqual([]);
  });

  it('keeps values across requests under a cookie holding a 43-character token', async () => {
    const visitor = new Visitor(counter(newManager()));
    expect(await (await visitor.get()).text()).toBe('1');
    expect(visitor.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await (await visitor.get()).text()).toBe('2');
    expect(await (await visitor.get()).text()).toBe('3');
    expect((await rows()).map((row) => row.token)).toEqual([hashToken(visitor.token!)]);
  });

  it('writes the cookie with its attributes, Vary: Cookie and Cache-Control', async () => {
    const manager = newManager({ lifetime: 3_600_000, cookie: { name: 'session', domain: 'example.com', path: '/app' } });
    const response = await new Visitor(counter(manager as never)).get();
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(
      /^session=[A-Za-z0-9_-]{43}; Path=\/app; Domain=example\.com; Max-Age=3600; Expires=[^;]+ GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie!)![1]!);
    expect(Math.abs(expires - (Date.now() + 3_600_000))).toBeLessThan(5_000);
    expect(response.headers.get('Vary')).toBe('Cookie');
    expect(response.headers.get('Cache-Control')).toBe('no-cache="Set-Cookie"');
  });

  it('pops a value once', async () => {
    const manager = newManager<{ flash: string }>();
    const visitor = new Visitor(
      manager.handle(async (request, session) => {
        if (new URL(request.url).pathname === '/set') session.set('flash', 'saved!');
        return new Response(String(session.pop('flash')));
      }),
    );
    expect(await (await visitor.get('/set')).text()).toBe('saved!');
    await visitor.get('/set');
    // The second /set put it and popped it in one request: nothing is left.
    expect(await (await visitor.get('/read')).text()).toBe('undefined');
  });

  it('stores set(k, undefined) as k removed, and a nested undefined as absent', async () => {
    const manager = newManager<{ flash: { email?: string | undefined; name: string }; user: string }>();
    const visitor = new Visitor(
      manager.handle(async (request, session) => {
        if (new URL(request.url).pathname === '/set') {
          session.set('user', 'ada');
          session.set('flash', { email: undefined, name: 'ada' });
        } else session.set('user', undefined);
        return Response.json({ user: session.get('user') ?? null, flash: session.get('flash') ?? null });
      }),
    );
    await visitor.get('/set');
    const [row] = await backend.query<{ data: Uint8Array }>('SELECT data FROM sessions');
    expect(JSON.parse(new TextDecoder().decode(row!.data)).values).toStrictEqual({ user: 'ada', flash: { name: 'ada' } });
    expect(await (await visitor.get('/unset')).json()).toEqual({ user: null, flash: { name: 'ada' } });
    const [after] = await backend.query<{ data: Uint8Array }>('SELECT data FROM sessions');
    expect(JSON.parse(new TextDecoder().decode(after!.data)).values).toStrictEqual({ flash: { name: 'ada' } });
  });

  it('renews the token keeping the values; the old token is dead', async () => {
    const manager = newManager<{ visits: number; user: string }>();
    const visitor = new Visitor(counter(manager as never));
    await visitor.get();
    const before = visitor.token!;
    const renew = new Visitor(
      manager.handle(async (_request, session) => {
        await session.renewToken();
        session.set('user', 'ada');
        return new Response(session.token);
      }),
    );
    renew.jar.set('session', before);
    const response = await renew.get();
    const after = renew.token!;
    expect(after).not.toBe(before);
    expect(await response.text()).toBe(after);
    expect((await rows()).map((row) => row.token)).toEqual([hashToken(after)]);
    // The old cookie now gets a new, empty session.
    expect(await (await visitor.get()).text()).toBe('1');
    visitor.jar.set('session', after);
    expect(await (await visitor.get()).text()).toBe('2');
  });

  it('destroys: the row goes and the cookie is expired', async () => {
    const manager = newManager();
    const visitor = new Visitor(counter(manager as never));
    await visitor.get();
    const destroy = new Visitor(manager.handle(async (_request, session) => (session.destroy(), new Response('bye'))));
    destroy.jar.set('session', visitor.token!);
    const response = await destroy.get();
    expect(response.headers.getSetCookie()).toEqual([
      'session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:01 GMT; HttpOnly; Secure; SameSite=Lax',
    ]);
    expect(await rows()).toEqual([]);
    // The destroyed session's cookie gets a new one, never the old values.
    expect(await (await visitor.get()).text()).toBe('1');
  });

  it('ends a session at its lifetime, however busy', async () => {
    const visitor = new Visitor(counter(newManager({ lifetime: 1500 }) as never));
    await visitor.get();
    const first = visitor.token;
    await vi.waitFor(async () => expect(await (await visitor.get()).text()).toBe('1'), { timeout: 5000, interval: 200 });
    expect(visitor.token).not.toBe(first);
  });

  it('ends an idle session after idleTimeout, and keeps a busy one', async () => {
    const manager = newManager({ idleTimeout: 1500, touchAfter: 0 });
    const visitor = new Visitor(counter(manager as never));
    const reader = new Visitor(manager.handle(async (_request, session) => new Response(String(session.get('visits')))));
    await visitor.get();
    reader.jar.set('session', visitor.token!);
    // Read (unmodified) every 300 ms for 3 s: each read slides the expiry.
    for (let i = 0; i < 10; i++) {
      expect(await (await reader.get()).text()).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await (await reader.get()).text()).toBe('undefined');
  });

  it('makes browser-session cookies without persist, unless rememberMe(true)', async () => {
    const manager = newManager<{ visits: number }>({ cookie: { persist: false } });
    const visitor = new Visitor(counter(manager));
    const [plain] = (await visitor.get()).headers.getSetCookie();
    expect(plain).not.toMatch(/Max-Age|Expires/);
    const remember = new Visitor(manager.handle(async (_request, session) => (session.rememberMe(true), new Response('ok'))));
    remember.jar.set('session', visitor.token!);
    const [remembered] = (await remember.get()).headers.getSetCookie();
    expect(remembered).toMatch(/Max-Age=\d+; Expires=/);
    // Remembered in the session: later writes stay persistent; rememberMe(false) undoes it.
    visitor.jar.set('session', remember.token!);
    expect((await visitor.get()).headers.getSetCookie()[0]).toMatch(/Max-Age=/);
    const forget = new Visitor(manager.handle(async (_request, session) => (session.rememberMe(false), new Response('ok'))));
    forget.jar.set('session', visitor.token!);
    expect((await forget.get()).headers.getSetCookie()[0]).not.toMatch(/Max-Age|Expires/);
  });

  it('gives a new session for unreadable data, tells onError without the data, and never fails the request', async () => {
    const onError = vi.fn();
    const manager = newManager({ onError });
    const visitor = new Visitor(counter(manager as never));
    await visitor.get();
    await backend.query(`UPDATE sessions SET data = convert_to('{"not json secret-payload', 'UTF8')`);
    expect(await (await visitor.get()).text()).toBe('1');
    expect(onError).toHaveBeenCalledTimes(1);
    const reported = inspect(onError.mock.calls[0]![0], { depth: Infinity, showHidden: true });
    expect(reported).toMatch(/could not be decoded/);
    expect(reported).not.toContain('secret-payload');
  });

  it('keeps working with hashTokens: the table holds the SHA-256 of the token', async () => {
    const visitor = new Visitor(counter(newManager({}, { hashTokens: true }) as never));
    await visitor.get();
    expect(await (await visitor.get()).text()).toBe('2');
    const stored = (await rows()).map((row) => row.token);
    expect(stored).toEqual([hashToken(visitor.token!)]);
  });

  for (const hashTokens of [false, true]) {
    it(`iterates over every live session, and commits what the callback changes or destroys (hashTokens ${hashTokens})`, async () => {
      const manager = newManager<{ visits: number; user: string; flagged: boolean }>({}, { hashTokens });
      const visitors = Array.from({ length: 3 }, () => new Visitor(counter(manager as never)));
      for (const visitor of visitors) await visitor.get();
      await visitors[1]!.get();
      const seen: number[] = [];
      await manager.iterate(async (session) => {
        seen.push(session.get('visits')!);
        if (session.get('visits') === 2) session.destroy();
        else session.set('flagged', true);
      });
      expect(seen.sort()).toEqual([1, 1, 2]);
      expect(await rows()).toHaveLength(2);
      const reader = manager.handle(async (_request, session) => Response.json(session.get('flagged') ?? null));
      for (const [i, visitor] of visitors.entries()) {
        const response = await reader(new Request(ORIGIN, { headers: { cookie: `session=${visitor.token}` } }));
        expect(await response.json()).toBe(i === 1 ? null : true);
      }
    });
  }

  it("leaves other adapters' rows in a shared table alone, telling onError once, with no token or data", async () => {
    const onError = vi.fn();
    const manager = newManager<{ visits: number }>({ onError });
    const visitor = new Visitor(counter(manager));
    await visitor.get();
    // What express-session, React Router's storage and a damaged row leave in the table.
    const foreign = {
      'express-1': `convert_to('{"cookie":{"originalMaxAge":null,"httpOnly":true},"user":"secret-express"}', 'UTF8')`,
      'react-router-1': `convert_to('{"userId":"secret-rr"}', 'UTF8')`,
      'damaged-1': `decode('fffe', 'hex')`,
    };
    for (const [token, data] of Object.entries(foreign)) {
      await backend.query(`INSERT INTO sessions (token, data, expiry) VALUES ($1, ${data}, now() + interval '1 hour')`, [token]);
    }
    const before = await backend.query('SELECT token, data, expiry FROM sessions ORDER BY token');
    const seen: number[] = [];
    await manager.iterate(async (session) => void seen.push(session.get('visits')!));
    expect(seen).toEqual([1]);
    expect(onError).toHaveBeenCalledTimes(1);
    const reported = inspect(onError.mock.calls[0]![0], { depth: Infinity, showHidden: true });
    expect(reported).toMatch(/iterate left 3 rows alone that are no manager session/);
    for (const secret of ['secret-express', 'secret-rr', 'express-1', visitor.token!]) expect(reported).not.toContain(secret);
    expect(await backend.query('SELECT token, data, expiry FROM sessions ORDER BY token')).toEqual(before);
  });

  it('sets the cookie on a response whose headers are immutable', async () => {
    const manager = newManager();
    const visitor = new Visitor(
      manager.handle(async (_request, session) => (session.set('user', 'ada'), Response.redirect(`${ORIGIN}/home`, 303))),
    );
    const response = await visitor.get();
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(`${ORIGIN}/home`);
    expect(visitor.token).toBeDefined();
  });

  it('loses no update: 50 requests at once, each setting its own key, leave all 50', async () => {
    const manager = newManager();
    const visitor = new Visitor(counter(manager as never));
    await visitor.get();
    const cookie = `session=${visitor.token}`;
    const handler = manager.handle(async (request, session) => {
      session.set(new URL(request.url).searchParams.get('key')!, true);
      return new Response('ok');
    });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => handler(new Request(`${ORIGIN}/?key=k${i}`, { headers: { cookie } }))),
    );
    const keys = await manager.handle(async (_request, session) => new Response(session.keys().join(',')))(
      new Request(ORIGIN, { headers: { cookie } }),
    );
    const expected = ['visits', ...Array.from({ length: 50 }, (_, i) => `k${i}`)].sort();
    expect((await keys.text()).split(',')).toEqual(expected);
  });

  it('leaves one whole value when requests set the same key at once', async () => {
    const manager = newManager();
    const visitor = new Visitor(counter(manager as never));
    await visitor.get();
    const cookie = `session=${visitor.token}`;
    const handler = manager.handle(async (request, session) => {
      const n = Number(new URL(request.url).searchParams.get('n'));
      session.set('profile', { n, name: `name ${n}`, tags: [n, n] });
      return new Response('ok');
    });
    await Promise.all(Array.from({ length: 20 }, (_, n) => handler(new Request(`${ORIGIN}/?n=${n}`, { headers: { cookie } }))));
    const read = await manager.handle(async (_request, session) => Response.json(session.get('profile')))(
      new Request(ORIGIN, { headers: { cookie } }),
    );
    const { n, name, tags } = (await read.json()) as { n: number; name: string; tags: number[] };
    expect({ name, tags }).toEqual({ name: `name ${n}`, tags: [n, n] });
  });
}
