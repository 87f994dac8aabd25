import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExpressSessionStore } from '../src/express/index.js';
import { PGStore } from '../src/index.js';
import { BACKENDS } from './support/backends.js';
import { openOwnedSessions, type OwnedSessionsBackend } from './support/owned-sessions.js';
import { CookieClient } from './support/cookie-client.js';
import { unreachableDatabase } from './support/unreachable-database.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
  }
}

/** An app with sign-in, sign-out and "sign out everywhere else", as a user of ownerOf writes it. */
async function startApp(store: PGStore) {
  const app = express();
  const sessions = new ExpressSessionStore(store, { ownerOf: (s) => s.userId });
  app.use(session({ store: sessions, secret: 'a test secret', resave: false, saveUninitialized: false }));
  app.post('/sign-in', (req, res, next) => {
    const user = String(req.query.user);
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.userId = user;
      res.json({ user });
    });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.userId ?? null });
  });
  app.get('/devices', async (req, res) => {
    const devices = await sessions.sessionsOf(req.session.userId!, { current: req.sessionID });
    res.json(devices.map((device) => ({ user: device.session.userId, current: device.current })));
  });
  app.post('/sign-out-others', async (req, res) => {
    res.json({ ended: await sessions.deleteOwner(req.session.userId!, { except: req.sessionID }) });
  });
  app.post('/sign-out', (req, res) => {
    delete req.session.userId;
    res.json({ user: null });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    browser: () => new CookieClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(BACKENDS)('express-session with ownerOf on $name', ({ open }) => {
  let owned: OwnedSessionsBackend;
  let app: Awaited<ReturnType<typeof startApp>>;
  const owners = () => owned.owners();

  beforeAll(async () => {
    owned = await openOwnedSessions(open);
    const { store } = owned;
    app = await startApp(store);
  });
  afterAll(async () => {
    await app?.close();
    await owned?.close();
  });
  beforeEach(() => owned.backend.query('TRUNCATE sessions'));

  it('keeps the owner with each save, lists the devices, and signs the others out', async () => {
    const laptop = app.browser();
    const phone = app.browser();
    await laptop.post('/sign-in?user=alice');
    await phone.post('/sign-in?user=alice');
    await app.browser().post('/sign-in?user=bob');
    expect(await owners()).toEqual(['alice', 'alice', 'bob']);
    const devices = (await laptop.get('/devices')).body as unknown as Array<{ user: string; current: boolean }>;
    expect(devices.map((device) => device.user)).toEqual(['alice', 'alice']);
    expect(devices.filter((device) => device.current)).toHaveLength(1);

    expect((await laptop.post('/sign-out-others')).body).toEqual({ ended: 1 });
    expect((await phone.get('/me')).body).toEqual({ user: null });
    expect((await laptop.get('/me')).body).toEqual({ user: 'alice' });
    expect(await owners()).toEqual(['alice', 'bob']);
  });

  it('clears the owner when the session is saved signed out', async () => {
    const laptop = app.browser();
    await laptop.post('/sign-in?user=alice');
    await laptop.post('/sign-out');
    expect(await owners()).toEqual([null]);
    expect(await owned.store.sessionsOf('alice')).toEqual([]);
  });
});

it('refuses an ownerOf that is not a function, by name', async () => {
  const database = unreachableDatabase();
  const store = new PGStore(database.db, { cleanupInterval: 0 });
  expect(() => new ExpressSessionStore(store, { ownerOf: 'userId' as never })).toThrow(/ownerOf must be a function, got string "userId"/);
  await store.close();
  await database.close();
});
