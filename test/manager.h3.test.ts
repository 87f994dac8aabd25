/**
 * drizzle-pgstore/h3 in process, on every backend: what the example app does not show.
 * The example itself runs over HTTP in test/frameworks/h3.test.ts.
 */
import { H3, HTTPError, redirect } from 'h3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commitSession, loadSession, sessionMiddleware } from '../src/integrations/h3.js';
import { PGStore, SessionManager } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';

type Data = { user: string };

describe.each(BACKENDS)('drizzle-pgstore/h3 on $name', ({ open }) => {
  let backend: Backend;
  let store: PGStore;
  let manager: SessionManager<Data>;
  const rows = () => backend.query<{ token: string }>('SELECT token FROM sessions');
  const cookieOf = (response: Response) => response.headers.getSetCookie()[0]?.split(';')[0];

  beforeAll(async () => {
    backend = await open();
    store = new PGStore(backend.db, { cleanupInterval: 0 });
    manager = new SessionManager<Data>(store, { cookie: { secure: false } });
  });
  afterAll(async () => {
    await store?.close();
    await backend?.close();
  });
  beforeEach(() => backend.query('TRUNCATE sessions'));

  const appWith = (route: Parameters<H3['post']>[1]) => new H3().use(sessionMiddleware(manager)).post('/', route);
  const post = (app: H3, cookie?: string) => app.fetch(new Request('http://127.0.0.1/', { method: 'POST', headers: cookie ? { cookie } : {} }));

  it('gives one session per event however often a handler asks, and commits it with Vary and Cache-Control', async () => {
    const app = appWith(async (event) => {
      const [a, b] = await Promise.all([loadSession(event, manager), loadSession(event, manager)]);
      expect(a).toBe(b);
      a.set('user', 'ada');
      return 'ok';
    });
    const response = await post(app);
    expect(cookieOf(response)).toMatch(/^session=[A-Za-z0-9_-]{43}$/);
    expect(response.headers.get('vary')).toBe('Cookie');
    expect(response.headers.get('cache-control')).toBe('no-cache="Set-Cookie"');
    expect(await rows()).toHaveLength(1);
  });

  it('commits onto a Response the route returns, even a 4xx one (h3 keeps its own headers off those)', async () => {
    const app = appWith(async (event) => {
      (await loadSession(event, manager)).set('user', 'ada');
      return new Response('no', { status: 422 });
    });
    const response = await post(app);
    expect(response.status).toBe(422);
    expect(cookieOf(response)).toMatch(/^session=/);
  });

  it('commits onto an h3 redirect', async () => {
    const app = appWith(async (event) => ((await loadSession(event, manager)).set('user', 'ada'), redirect('/home', 303)));
    const response = await post(app);
    expect(response.status).toBe(303);
    expect(cookieOf(response)).toMatch(/^session=/);
  });

  it('commits nothing when the route throws', async () => {
    const app = appWith(async (event) => {
      (await loadSession(event, manager)).set('user', 'ada');
      throw new HTTPError({ status: 400, message: 'bad' });
    });
    const response = await post(app);
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await rows()).toEqual([]);
  });

  it('commits by hand without the middleware, once; a session never loaded commits nothing', async () => {
    const app = new H3().post('/', async (event) => {
      await commitSession(event, manager);
      const session = await loadSession(event, manager);
      session.set('user', 'ada');
      await commitSession(event, manager);
      await commitSession(event, manager);
      return session.token;
    });
    const response = await post(app);
    expect(response.headers.getSetCookie()).toHaveLength(1);
    expect(cookieOf(response)).toBe(`session=${await response.text()}`);
    const again = await new H3().post('/', async (event) => (await loadSession(event, manager)).get('user') ?? 'none').fetch(
      new Request('http://127.0.0.1/', { method: 'POST', headers: { cookie: cookieOf(response)! } }),
    );
    expect(await again.text()).toBe('ada');
  });

  it('refuses what is not a SessionManager or an H3Event', async () => {
    expect(() => sessionMiddleware({} as never)).toThrow(/sessionMiddleware takes a SessionManager/);
    expect(() => loadSession({} as never, manager)).toThrow(/loadSession takes an H3Event/);
    await expect(commitSession({} as never, null as never)).rejects.toThrow(/commitSession takes a SessionManager/);
  });
});
