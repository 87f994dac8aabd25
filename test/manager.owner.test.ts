import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineSessionsTable, PGStore, SessionManager } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { CookieClient } from './support/cookie-client.js';
import { serveFetch, type FetchServer } from './support/fetch-server.js';

type Data = { userId: string; visits: number };

describe.each(BACKENDS)('SessionManager with ownerOf on $name', ({ open }) => {
  let backend: Backend;
  let store: PGStore;
  let manager: SessionManager<Data>;
  let server: FetchServer;
  const owners = async () =>
    (await backend.query<{ owner: string | null }>('SELECT owner FROM sessions ORDER BY owner')).map((row) => row.owner);

  beforeAll(async () => {
    backend = await open();
    await backend.query('ALTER TABLE sessions ADD COLUMN owner text');
    store = new PGStore(backend.db, { cleanupInterval: 0, table: defineSessionsTable('sessions', { owner: true }) });
    manager = new SessionManager<Data>(store, { ownerOf: (values) => values.userId });
    server = await serveFetch(
      manager.handle(async (request, session) => {
        const url = new URL(request.url);
        const user = session.get('userId');
        switch (url.pathname) {
          case '/sign-in':
            await session.renewToken();
            session.set('userId', url.searchParams.get('user')!);
            return Response.json({ user: session.get('userId') });
          case '/visit':
            session.set('visits', (session.get('visits') ?? 0) + 1);
            return Response.json({ user: user ?? null });
          case '/sign-out-others':
            return Response.json({ ended: await store.deleteOwner(user!, { except: session.token! }) });
          case '/sign-out':
            session.delete('userId');
            return Response.json({ user: null });
          default:
            return Response.json({ user: user ?? null });
        }
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await backend?.close();
  });
  beforeEach(() => backend.query('TRUNCATE sessions'));

  it('writes the owner with each commit, signs the other devices out, and clears it at sign-out', async () => {
    const laptop = new CookieClient(server.url);
    const phone = new CookieClient(server.url);
    await laptop.get('/sign-in?user=alice');
    await phone.get('/sign-in?user=alice');
    await phone.get('/visit'); // a compare-and-swap commit: the owner stays
    expect(await owners()).toEqual(['alice', 'alice']);
    expect((await store.sessionsOf('alice')).map((s) => s.key)).toContain(laptop.cookie('session'));

    expect((await laptop.get('/sign-out-others')).body).toEqual({ ended: 1 });
    expect((await phone.get('/me')).body).toEqual({ user: null });
    expect((await laptop.get('/me')).body).toEqual({ user: 'alice' });

    await laptop.get('/sign-out');
    expect(await owners()).toEqual([null]);
  });

  it('does not bring back a session signed out while one of its requests was in flight', async () => {
    const laptop = new CookieClient(server.url);
    const phone = new CookieClient(server.url);
    await laptop.get('/sign-in?user=alice');
    await phone.get('/sign-in?user=alice');
    // The phone's request has loaded its session when the laptop signs the others out.
    const inFlight = await manager.load(new Request(server.url, { headers: { cookie: `session=${phone.cookie('session')}` } }));
    await laptop.get('/sign-out-others');
    inFlight.set('visits', 1);
    await manager.commit(inFlight, new Response('late'));
    expect(await store.sessionsOf('alice')).toHaveLength(1);
    expect(await store.find(phone.cookie('session')!)).toBeNull();
  });
});
