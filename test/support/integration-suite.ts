import { Hono } from 'hono';
import { createCookie, createSession, createStaticHandler, isSession } from 'react-router';
import reactRouterPackage from 'react-router/package.json' with { type: 'json' };
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sessionMiddleware, type SessionEnv } from '../../src/integrations/hono.js';
import { hashToken, PGStore, SessionManager } from '../../src/index.js';
import { createPGSessionStorage } from '../../src/integrations/react-router.js';
import { ExpressSessionStore } from '../../src/express/index.js';
import { homeRoute } from '../../examples/react-router/routes.js';
import { sessionStorage } from '../../examples/react-router/storage.js';
import type { Backend, OpenBackend } from './backends.js';
import { addOwnerColumn, ownedSessions } from './owned-sessions.js';
import { CookieClient } from './cookie-client.js';
import { unreachableDatabase, type UnreachableDatabase } from './unreachable-database.js';
import { serveFetch, type FetchServer } from './fetch-server.js';

type Data = { visits: number; user: string };

/** A Hono app: count visits, sign in (renewing the token), sign out, fail on purpose. */
function honoApp(manager: SessionManager<Data>) {
  const app = new Hono<SessionEnv<Data>>();
  app.use(sessionMiddleware(manager));
  app.get('/visits', (c) => {
    const session = c.get('session');
    session.set('visits', (session.get('visits') ?? 0) + 1);
    return c.json({ visits: session.get('visits'), user: session.get('user') ?? null });
  });
  app.post('/sign-in', async (c) => {
    const session = c.get('session');
    await session.renewToken();
    session.set('user', 'ada');
    return c.redirect('/visits', 303);
  });
  app.post('/sign-out', (c) => {
    c.get('session').destroy();
    return c.redirect('/visits', 303);
  });
  app.get('/redirect', (c) => {
    c.get('session').set('user', 'grace');
    // Response.redirect's headers are immutable: the cookie must still get through.
    return Response.redirect('http://127.0.0.1/visits', 302);
  });
  app.get('/fail', (c) => {
    c.get('session').set('user', 'never saved');
    throw new Error('handler failed');
  });
  return app;
}

/** A promise and the function that settles it: how a test holds a request mid-flight without timing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * Where the test holds requests: `/slow` tells `loaded` and waits for `release`; `/keys?together`
 * waits until `together` requests have loaded the session, so all of them race.
 */
interface Hold {
  loaded: ReturnType<typeof gate>;
  release: ReturnType<typeof gate>;
  together: number;
}

const newHold = (together = 0): Hold => ({ loaded: gate(), release: gate(), together });

/**
 * A React Router request handler: the example's home route at `/`, and loaders and actions of
 * the suite's own, each committing with `Set-Cookie: await commitSession(session)` as React
 * Router's docs show.
 */
function reactRouterHandler(store: PGStore, hold: Hold, onError: (error: Error) => void) {
  const { getSession, commitSession, destroySession } = createPGSessionStorage<Data>({ store, cookie: testCookie, ownerOf: (data) => data.user, onError });
  const keys = createPGSessionStorage({ store, cookie: testCookie, onError });
  // touchAfter 0: an unchanged request moves the idle expiry whenever it would move at all.
  const idle = createPGSessionStorage({ store, cookie: testCookie, idleTimeout: 3_600_000, touchAfter: 0, onError });
  const home = homeRoute(sessionStorage(store, 'example secret'));
  let arrived = 0;
  const allArrived = gate();
  const { queryRoute } = createStaticHandler([
    { id: 'home', path: '/', loader: home.loader, action: home.action },
    {
      id: 'visits',
      path: '/visits',
      loader: async ({ request }) => {
        const session = await getSession(request.headers.get('Cookie'));
        session.set('visits', (session.get('visits') ?? 0) + 1);
        return Response.json(
          { visits: session.get('visits'), user: session.get('user') ?? null },
          { headers: { 'Set-Cookie': await commitSession(session) } },
        );
      },
    },
    {
      id: 'keys',
      path: '/keys',
      loader: async ({ request }) => {
        const session = await keys.getSession(request.headers.get('Cookie'));
        const query = new URL(request.url).searchParams;
        if (query.has('together') && ++arrived === hold.together) allArrived.open();
        if (query.has('together')) await allArrived.opened;
        const key = query.get('set');
        if (key !== null) session.set(key, true);
        const gone = query.get('unset');
        if (gone !== null) session.unset(gone);
        return Response.json(Object.keys(session.data).sort(), { headers: { 'Set-Cookie': await keys.commitSession(session) } });
      },
    },
    {
      id: 'idle',
      path: '/idle',
      loader: async ({ request }) => {
        const session = await idle.getSession(request.headers.get('Cookie'));
        if (new URL(request.url).searchParams.has('set')) session.set('user', 'ada');
        return Response.json(session.data, { headers: { 'Set-Cookie': await idle.commitSession(session) } });
      },
    },
    {
      // "Remember me": each commit asks for the cookie and the session to last 30 days from now.
      id: 'remember',
      path: '/remember',
      loader: async ({ request }) => {
        const session = await keys.getSession(request.headers.get('Cookie'));
        if (new URL(request.url).searchParams.has('sign-in')) session.set('user', 'ada');
        return Response.json(Object.keys(session.data), { headers: { 'Set-Cookie': await keys.commitSession(session, { maxAge: 30 * 86_400 }) } });
      },
    },
    {
      id: 'slow',
      path: '/slow',
      loader: async ({ request }) => {
        const session = await keys.getSession(request.headers.get('Cookie'));
        hold.loaded.open();
        await hold.release.opened;
        session.set('late', true);
        return Response.json({ late: true }, { headers: { 'Set-Cookie': await keys.commitSession(session) } });
      },
    },
    {
      id: 'sign-in',
      path: '/sign-in',
      action: async ({ request }) => {
        const session = await getSession(request.headers.get('Cookie'));
        session.set('user', 'grace');
        return new Response(null, { status: 303, headers: { Location: '/visits', 'Set-Cookie': await commitSession(session) } });
      },
    },
    {
      id: 'sign-out',
      path: '/sign-out',
      action: async ({ request }) => {
        const session = await getSession(request.headers.get('Cookie'));
        return new Response(null, { status: 303, headers: { Location: '/visits', 'Set-Cookie': await destroySession(session) } });
      },
    },
  ]);
  return async (request: Request) => {
    try {
      return (await queryRoute(request)) as Response;
    } catch (thrown) {
      if (thrown instanceof Response) return thrown;
      throw thrown;
    }
  };
}

const testCookie = createCookie('__session', { secrets: ['test secret'], httpOnly: true, sameSite: 'lax', path: '/' });

/** The framework integrations over real HTTP, on one backend. */
export function describeIntegrations(open: OpenBackend) {
  let backend: Backend;
  let store: PGStore;
  let server: FetchServer | undefined;
  const tokens = async () => (await backend.query<{ token: string }>('SELECT token FROM sessions')).map((row) => row.token);
  /** Rows inserted, updated or deleted in the sessions table since the test began, as a trigger logs them. */
  const writes = async () => Number((await backend.query<{ n: string }>('SELECT count(*) AS n FROM session_writes'))[0]!.n);

  beforeAll(async () => {
    backend = await open();
    // With the owner column, which the React Router storage's ownerOf writes.
    await addOwnerColumn(backend);
    store = new PGStore(backend.db, { cleanupInterval: 0, table: ownedSessions });
    await backend.query('CREATE TABLE session_writes (op text NOT NULL)');
    await backend.query(
      `CREATE FUNCTION log_session_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO session_writes VALUES (TG_OP); RETURN NULL; END $$`,
    );
    await backend.query(
      'CREATE TRIGGER log_session_write AFTER INSERT OR UPDATE OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION log_session_write()',
    );
  });
  afterAll(async () => {
    await store?.close();
    await backend?.close();
  });
  beforeEach(() => backend.query('TRUNCATE sessions, session_writes'));
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('Hono', () => {
    const start = async () => {
      // secure: false, as the test speaks plain HTTP to 127.0.0.1.
      server = await serveFetch(honoApp(new SessionManager<Data>(store, { cookie: { secure: false } })).fetch);
      return new CookieClient(server.url);
    };

    it('keeps a session across requests, renews it at sign-in and ends it at sign-out', async () => {
      const browser = await start();
      expect((await browser.get('/visits')).body).toEqual({ visits: 1, user: null });
      expect((await browser.get('/visits')).body).toEqual({ visits: 2, user: null });
      const before = browser.cookie('session');
      const signIn = await browser.post('/sign-in');
      expect(signIn.status).toBe(303);
      expect(browser.cookie('session')).not.toBe(before);
      expect(await tokens()).toEqual([hashToken(browser.cookie('session')!)]);
      expect((await browser.get('/visits')).body).toEqual({ visits: 3, user: 'ada' });
      await browser.post('/sign-out');
      expect(browser.cookie('session')).toBeUndefined();
      expect(await tokens()).toEqual([]);
    });

    it('sets the cookie on a Response.redirect, and saves nothing when the handler fails', async () => {
      const browser = await start();
      const redirect = await browser.get('/redirect');
      expect(redirect.status).toBe(302);
      expect(redirect.setCookies).toHaveLength(1);
      expect((await browser.get('/visits')).body).toEqual({ visits: 1, user: 'grace' });
      expect((await browser.get('/fail')).status).toBe(500);
      expect((await browser.get('/visits')).body).toEqual({ visits: 2, user: 'grace' });
    });
  });

  describe('React Router', () => {
    it(`is React Router ${process.env.REACT_ROUTER_MAJOR ?? 7}, as this run asked`, () => {
      expect(reactRouterPackage.version.split('.')[0]).toBe(process.env.REACT_ROUTER_MAJOR ?? '7');
    });

    let hold: Hold;
    let reported: Error[];
    const start = async (together = 0) => {
      hold = newHold(together);
      reported = [];
      server = await serveFetch(reactRouterHandler(store, hold, (error) => reported.push(error)));
      return new CookieClient(server.url);
    };
    const sameOrigin = () => ({ origin: server!.url, 'sec-fetch-site': 'same-origin' });
    const form = (intent: string) => new URLSearchParams({ intent });

    it('keeps a session across requests through getSession/commitSession, and destroySession deletes its row', async () => {
      const browser = await start();
      expect((await browser.get('/visits')).body).toEqual({ visits: 1, user: null });
      expect((await browser.get('/visits')).body).toEqual({ visits: 2, user: null });
      const [token] = await tokens();
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const signOut = await browser.post('/sign-out');
      expect(signOut.status).toBe(303);
      expect(await tokens()).toEqual([]);
      expect((await browser.get('/visits')).body).toEqual({ visits: 1, user: null });
    });

    it('writes the owner that ownerOf gives with each commit, so sessionsOf finds the session until it is destroyed', async () => {
      const browser = await start();
      await browser.get('/visits');
      expect(await store.sessionsOf('grace')).toEqual([]);
      await browser.post('/sign-in');
      await browser.get('/visits');
      const [token] = await tokens();
      expect((await store.sessionsOf('grace')).map((session) => session.key)).toEqual([token]);
      await browser.post('/sign-out');
      expect(await store.sessionsOf('grace')).toEqual([]);
    });

    it('reads a tampered or foreign cookie as no session, without resurrecting anything', async () => {
      const browser = await start();
      await browser.get('/visits');
      // An unsigned id, a signed-looking one with a bad signature, and garbage.
      for (const value of [btoa(JSON.stringify('x'.repeat(43))), `${browser.cookie('__session')}x`, '%%%']) {
        const reply = await new CookieClient(server!.url).request('GET', '/visits', undefined, { cookie: `__session=${value}` });
        expect(reply.body).toEqual({ visits: 1, user: null });
      }
      expect(await tokens()).toHaveLength(4);
    });

    it('gives a passer-by no row and no cookie: 20 cookie-less GETs of a loader that always commits', async () => {
      await start();
      let cookies = 0;
      for (let i = 0; i < 20; i++) {
        const visitor = new CookieClient(server!.url);
        expect((await visitor.get('/')).body).toEqual({ userId: null, notice: null });
        if (visitor.cookie('__session') !== undefined) cookies++;
      }
      expect({ rows: (await tokens()).length, writes: await writes(), cookies }).toEqual({ rows: 0, writes: 0, cookies: 0 });
    });

    it('writes nothing for an unchanged signed-in session: 10 GETs of a loader that always commits', async () => {
      const browser = await start();
      expect((await browser.request('POST', '/', form('sign-in'), sameOrigin())).status).toBe(302);
      // The first read takes the flash, which is a change.
      expect((await browser.get('/')).body).toEqual({ userId: 42, notice: 'Signed in' });
      const before = await writes();
      for (let i = 0; i < 10; i++) expect((await browser.get('/')).body).toEqual({ userId: 42, notice: null });
      expect({ rows: (await tokens()).length, writes: (await writes()) - before }).toEqual({ rows: 1, writes: 0 });
    });

    it('keeps every key of 50 concurrent commits to one session, all loaded before any commits', async () => {
      const browser = await start(50);
      expect((await browser.get('/keys?set=first')).body).toEqual(['first']);
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => browser.get(`/keys?together&set=k${i}`)));
      expect(replies.map((reply) => reply.status)).toEqual(Array(50).fill(200));
      const kept = (await browser.get<string[]>('/keys')).body.filter((key) => key.startsWith('k'));
      expect(kept).toHaveLength(50);
      expect(await tokens()).toHaveLength(1);
    });

    it('plays an unset onto the row as a racing request left it', async () => {
      const browser = await start(2);
      await browser.get('/keys?set=a');
      await browser.get('/keys?set=b');
      await Promise.all([browser.get('/keys?together&unset=a'), browser.get('/keys?together&set=c')]);
      expect((await browser.get('/keys')).body).toEqual(['b', 'c']);
    });

    it('gives a commit with its own maxAge (remember me) that end, and writes it again at most once a minute', async () => {
      const browser = await start();
      const plain = await browser.get('/keys?set=a');
      // testCookie has no maxAge: a browser-session cookie.
      expect(plain.setCookies[0]).not.toMatch(/Max-Age|Expires/i);
      const remembered = await browser.get('/remember?sign-in');
      expect(remembered.setCookies[0]).toMatch(/Max-Age=2592000/);
      const [row] = await backend.query<{ expiry: Date }>('SELECT expiry FROM sessions');
      expect(Math.abs(new Date(row!.expiry).getTime() - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
      const before = await writes();
      for (let i = 0; i < 5; i++) expect((await browser.get('/remember')).body).toEqual(['a', 'user']);
      expect((await writes()) - before).toBe(0);
      // A passer-by asked to be remembered still has nothing to keep.
      const visitor = new CookieClient(server!.url);
      await visitor.get('/remember');
      expect({ cookie: visitor.cookie('__session'), rows: (await tokens()).length }).toEqual({ cookie: undefined, rows: 1 });
    });

    it('with idleTimeout, slides an unchanged session: one touch of the expiry, and the cookie sent again', async () => {
      const browser = await start();
      await browser.get('/idle?set');
      const [before] = await backend.query<{ expiry: Date }>('SELECT expiry FROM sessions');
      const writesBefore = await writes();
      const cookie = browser.cookie('__session');
      const reply = await browser.get('/idle');
      expect(reply.body).toEqual({ user: 'ada' });
      // testCookie has no maxAge: a browser-session cookie, sent again with the same token.
      expect(reply.setCookies).toEqual([`__session=${cookie}; Path=/; HttpOnly; SameSite=Lax`]);
      const [after] = await backend.query<{ expiry: Date }>('SELECT expiry FROM sessions');
      expect(new Date(after!.expiry).getTime()).toBeGreaterThan(new Date(before!.expiry).getTime());
      expect((await writes()) - writesBefore).toBe(1);
    });

    it('keeps a sign-out when a request that loaded the session before commits after it', async () => {
      const browser = await start();
      await browser.get('/keys?set=user');
      const cookie = `__session=${browser.cookie('__session')}`;
      const late = new CookieClient(server!.url).request('GET', '/slow', undefined, { cookie });
      await hold.loaded.opened;
      expect((await browser.post('/sign-out')).status).toBe(303);
      expect(await tokens()).toEqual([]);
      hold.release.open();
      expect((await late).status).toBe(200);
      expect(await tokens()).toEqual([]);
      expect(reported.map((error) => error.message)).toEqual([expect.stringMatching(/ended by another request/)]);
      // The old cookie names no session.
      const again = await new CookieClient(server!.url).request<string[]>('GET', '/keys', undefined, { cookie });
      expect(again.body).toEqual([]);
    });

    it('keeps a sign-out everywhere (deleteOwner) when a request that loaded the session before commits after it', async () => {
      const browser = await start();
      await browser.post('/sign-in');
      expect(await store.sessionsOf('grace')).toHaveLength(1);
      const late = browser.get('/slow');
      await hold.loaded.opened;
      expect(await store.deleteOwner('grace')).toBe(1);
      hold.release.open();
      expect((await late).status).toBe(200);
      expect(await tokens()).toEqual([]);
    });
  });

  describe('the React Router example', () => {
    const start = async () => {
      server = await serveFetch(reactRouterHandler(store, newHold(), () => {}));
      return new CookieClient(server.url);
    };

    it('renews the session id at sign-in, shows the flash once, and deletes the row at sign-out', async () => {
      const browser = await start();
      const signIn = () => browser.request('POST', '/', new URLSearchParams({ intent: 'sign-in' }), { origin: server!.url, 'sec-fetch-site': 'same-origin' });
      expect((await signIn()).status).toBe(302);
      // An id someone planted, e.g. their own: signing in again gives another, and ends the planted one.
      const planted = browser.cookie('__session');
      expect((await signIn()).status).toBe(302);
      expect(browser.cookie('__session')).not.toBe(planted);
      expect((await browser.get('/')).body).toEqual({ userId: 42, notice: 'Signed in' });
      expect((await browser.get('/')).body).toEqual({ userId: 42, notice: null });
      const plantedAgain = await new CookieClient(server!.url).request('GET', '/', undefined, { cookie: `__session=${planted}` });
      expect(plantedAgain.body).toEqual({ userId: null, notice: null });
      expect(await tokens()).toHaveLength(1);
      await browser.request('POST', '/', new URLSearchParams({ intent: 'sign-out' }), { origin: server!.url });
      expect(browser.cookie('__session')).toBeUndefined();
      expect(await tokens()).toEqual([]);
    });

    it('refuses a cross-site sign-in or sign-out with 403, changing nothing and setting no cookie', async () => {
      const browser = await start();
      await browser.request('POST', '/', new URLSearchParams({ intent: 'sign-in' }), { 'sec-fetch-site': 'same-origin' });
      const [row] = await tokens();
      const before = await writes();
      for (const headers of [
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
        { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:1' },
        { origin: 'https://evil.example' },
      ]) {
        for (const intent of ['sign-in', 'sign-out']) {
          const reply = await browser.request('POST', '/', new URLSearchParams({ intent }), headers);
          expect(reply.status).toBe(403);
          expect(reply.setCookies).toEqual([]);
        }
      }
      expect({ rows: await tokens(), writes: (await writes()) - before }).toEqual({ rows: [row], writes: 0 });
      expect((await browser.get('/')).body).toEqual({ userId: 42, notice: 'Signed in' });
    });
  });

  describe('React Router beside other writers in one table', () => {
    it("leaves express and manager rows alone, even when a signed cookie names one it cannot read", async () => {
      // An express-session row under a token-shaped id, and a SessionManager row, written by their own adapters.
      const expressId = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      await new ExpressSessionStore(store).set(expressId, { cookie: { originalMaxAge: 60_000 }, user: 'ada' } as never);
      const manager = new SessionManager<Data>(store, { cookie: { secure: false } });
      const managed = await manager.loadToken(null);
      managed.set('user', 'grace');
      await manager.commitCookie(managed);
      const rows = () => backend.query<{ token: string; data: Uint8Array; expiry: Date }>('SELECT token, data, expiry FROM sessions ORDER BY token');
      const foreign = await rows();
      expect(foreign).toHaveLength(2);

      const reported: Error[] = [];
      server = await serveFetch(reactRouterHandler(store, newHold(), (error) => reported.push(error)));
      const signed = (await testCookie.serialize(expressId)).split(';')[0]!;
      for (let i = 0; i < 3; i++) {
        const reply = await new CookieClient(server.url).request('GET', '/visits', undefined, { cookie: signed });
        expect(reply.body).toEqual({ visits: 1, user: null });
      }
      const browser = new CookieClient(server.url);
      await browser.get('/visits');
      await browser.post('/sign-out');

      // The foreign rows are as they were; the three new sessions are the storage's own.
      const after = await rows();
      expect(after.filter((row) => foreign.some((old) => old.token === row.token))).toEqual(foreign);
      expect(after).toHaveLength(5);
      // Told once per request that carried the unreadable row's id, naming neither the token nor the data.
      expect(reported).toHaveLength(3);
      for (const error of reported) expect(error.message).not.toMatch(new RegExp(`${expressId}|ada`));
    });
  });
}

/** What the React Router storage refuses or answers before any query: run once, on a database no query reaches. */
export function describeReactRouterInput() {
  let database: UnreachableDatabase;
  let store: PGStore;
  beforeAll(() => {
    database = unreachableDatabase();
    store = new PGStore(database.db, { cleanupInterval: 0 });
  });
  afterAll(async () => {
    await store.close();
    await database.close();
  });

  it('refuses a misspelt option and a store that cannot commit, naming them', () => {
    expect(() => createPGSessionStorage({ store, cookie: testCookie, idleTimout: 1000 } as never)).toThrow(/idleTimout/);
    expect(() => createPGSessionStorage({ store: { find: async () => null } as never, cookie: testCookie })).toThrow(
      /createPGSessionStorage needs a store with findWithExpiry\(\)/,
    );
    expect(() => createPGSessionStorage({ store, cookie: testCookie, lifetime: -1 })).toThrow(/lifetime/);
  });

  it("gives React Router's own sessions, and commits a new session nothing was set in to '' without a query", async () => {
    const { getSession, commitSession, destroySession } = createPGSessionStorage({ store, cookie: testCookie });
    for (const header of [null, '', 'other=1', '__session=%%%', `__session=${btoa(JSON.stringify('x'.repeat(43)))}`]) {
      const session = await getSession(header);
      expect(isSession(session)).toBe(true);
      expect({ id: session.id, data: session.data }).toEqual({ id: '', data: {} });
      session.flash('notice', 'read before the commit');
      expect(session.get('notice')).toBe('read before the commit');
      expect(await commitSession(session)).toBe('');
    }
    // A session made with React Router's createSession() is taken in as a new one.
    expect(await commitSession(createSession())).toBe('');
    expect(await destroySession(await getSession(null))).toMatch(/^__session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect(database.connectionAttempts).toBe(0);
  });

  it('refuses a session it did not give out, and a value JSON cannot keep, naming the key, before any query', async () => {
    const { getSession, commitSession, destroySession } = createPGSessionStorage({ store, cookie: testCookie });
    await expect(commitSession(createSession({ user: 'ada' }, 'x'.repeat(43)))).rejects.toThrow(/commitSession takes a session from this storage's getSession/);
    await expect(destroySession(createSession({}, 'x'.repeat(43)))).rejects.toThrow(/destroySession takes a session from this storage's getSession/);
    const session = await getSession(null);
    session.set('user', 'ada');
    session.set('seen', new Map() as never);
    await expect(commitSession(session)).rejects.toThrow(/"seen" is a Map/);
    expect(database.connectionAttempts).toBe(0);
  });
}
