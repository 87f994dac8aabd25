import { Hono } from 'hono';
import { createCookie, createStaticHandler } from 'react-router';
import reactRouterPackage from 'react-router/package.json' with { type: 'json' };
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sessionMiddleware, type SessionEnv } from '../../src/integrations/hono.js';
import { PGStore, SessionManager } from '../../src/index.js';
import { createPGSessionStorage } from '../../src/integrations/react-router.js';
import type { Backend, OpenBackend } from './backends.js';
import { addOwnerColumn, ownedSessions } from './owned-sessions.js';
import { CookieClient } from './cookie-client.js';
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

/** A React Router request handler: loaders and actions with getSession/commitSession. */
function reactRouterHandler(store: PGStore) {
  const cookie = createCookie('__session', { secrets: ['test secret'], httpOnly: true, sameSite: 'lax', path: '/' });
  const { getSession, commitSession, destroySession } = createPGSessionStorage<Data>({ store, cookie, ownerOf: (data) => data.user });
  const { queryRoute } = createStaticHandler([
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

/** The framework integrations over real HTTP, on one backend. */
export function describeIntegrations(open: OpenBackend) {
  let backend: Backend;
  let store: PGStore;
  let server: FetchServer | undefined;
  const tokens = async () => (await backend.query<{ token: string }>('SELECT token FROM sessions')).map((row) => row.token);

  beforeAll(async () => {
    backend = await open();
    // With the owner column, which the React Router storage's ownerOf writes.
    await addOwnerColumn(backend);
    store = new PGStore(backend.db, { cleanupInterval: 0, table: ownedSessions });
  });
  afterAll(async () => {
    await store?.close();
    await backend?.close();
  });
  beforeEach(() => backend.query('TRUNCATE sessions'));
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
      expect(await tokens()).toEqual([browser.cookie('session')]);
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

    const start = async () => {
      server = await serveFetch(reactRouterHandler(store));
      return new CookieClient(server.url);
    };

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
  });
}
