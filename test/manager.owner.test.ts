import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, SessionManager } from '../src/index.js';
import { BACKENDS } from './support/backends.js';
import { openOwnedSessions, type OwnedSessionsBackend } from './support/owned-sessions.js';
import { CookieClient } from './support/cookie-client.js';
import { serveFetch, type FetchServer } from './support/fetch-server.js';

type Data = { userId: string; visits: number };

describe.each(BACKENDS)('SessionManager with ownerOf on $name', ({ open }) => {
  let owned: OwnedSessionsBackend;
  let manager: SessionManager<Data>;
  let server: FetchServer;
  const owners = () => owned.owners();

  beforeAll(async () => {
    owned = await openOwnedSessions(open);
    const { store } = owned;
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
    await owned?.close();
  });
  beforeEach(() => owned.backend.query('TRUNCATE sessions'));

  it('writes the owner with each commit, signs the other devices out, and clears it at sign-out', async () => {
    const laptop = new CookieClient(server.url);
    const phone = new CookieClient(server.url);
    await laptop.get('/sign-in?user=alice');
    await phone.get('/sign-in?user=alice');
    await phone.get('/visit'); // a compare-and-swap commit: the owner stays
    expect(await owners()).toEqual(['alice', 'alice']);
    expect((await owned.store.sessionsOf('alice')).map((s) => s.key)).toContain(hashToken(laptop.cookie('session')!));

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
    expect(await owned.store.sessionsOf('alice')).toHaveLength(1);
    expect(await owned.store.find(phone.cookie('session')!)).toBeNull();
  });
});
