import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import express from 'express';
import session from 'express-session';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpressSessionStore } from '../src/express/index.js';
import { hashToken, PGStore } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { CookieClient } from './support/cookie-client.js';
import { expectNoSecret, secretSession, type SecretSession } from './support/secrets.js';
import { expressFramework, fastifyFramework } from './support/session-apps.js';
import { inMemory } from './support/session-backends.js';
import { useSessionHarness } from './support/session-harness.js';

declare module 'express-session' {
  interface SessionData {
    secret?: string;
  }
}

const HOUR = 3_600_000;

/**
 * An express app as a new user writes it: express-session on our store, and express's
 * default error handler, which in development shows the error's stack on the page and
 * logs it on stderr. `/remember?value=…` keeps a value in the session; `/cookie` shows the
 * session's cookie.
 */
async function startApp(sessions: ExpressSessionStore, cookie: session.CookieOptions = {}, rolling = false) {
  const app = express();
  app.set('env', 'development');
  app.use(session({ store: sessions, secret: 'a test secret', resave: false, saveUninitialized: false, rolling, cookie }));
  app.get('/remember', (req, res) => {
    req.session.secret = String(req.query.value);
    res.json({ id: req.sessionID });
  });
  app.get('/cookie', (req, res) => {
    res.json({ id: req.sessionID, secret: req.session.secret ?? null, maxAge: req.session.cookie.maxAge, expires: req.session.cookie.expires });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    client: () => new CookieClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

type Cookie = { id: string; secret: string | null; maxAge: number | null; expires: string | null };

for (const { name, open } of BACKENDS) describe(`express over HTTP on ${name}`, () => {
  let backend: Backend;
  const cleanups: Array<() => Promise<void>> = [];
  const start = async (options: { cookie?: session.CookieOptions; rolling?: boolean; hashTokens?: boolean } = {}) => {
    const store = new PGStore(backend.db, { cleanupInterval: 0, hashTokens: options.hashTokens ?? false });
    const app = await startApp(new ExpressSessionStore(store), options.cookie, options.rolling);
    cleanups.push(app.close, () => store.close());
    return app;
  };

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  describe.each([{ hashTokens: false }, { hashTokens: true }])('hashTokens: $hashTokens', ({ hashTokens }) => {
    it('a failing database gives a 500 page and a log line with the reason and no session id, hash or data', async () => {
      const secrets = await secretSession();
      const app = await start({ hashTokens });
      const browser = app.client();
      const { id } = (await browser.get<{ id: string }>(`/remember?value=${secrets.marker}`)).body;
      const [stored] = await backend.query<{ n: number }>(`SELECT count(*)::int AS n FROM sessions`);
      expect(stored?.n).toBe(1);
      // The session id is the token: look for it, its hash and the cookie that carries it.
      const leaks: SecretSession = {
        ...secrets,
        forms: [...secrets.forms, id, hashToken(id), browser.cookie('connect.sid')!],
      };
      await backend.query('ALTER TABLE sessions RENAME TO sessions_moved');
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        // Loading the session fails (get): the error page.
        const loading = await browser.get('/cookie');
        expect(loading.status).toBe(500);
        expectNoSecret(loading.text, leaks, 'error page');
        expect(loading.text).toMatch(/StoreQueryError: drizzle-pgstore: \w+ failed: relation &quot;sessions&quot; does not exist/);
        // Saving a new session fails (set) after the response is written: only the log shows it.
        const saving = await app.client().get<{ id: string }>(`/remember?value=${secrets.marker}`);
        leaks.forms.push(saving.body.id, hashToken(saving.body.id));
        await vi.waitFor(() => expect(logged).toHaveBeenCalledTimes(2));
        // Express logs the error object, so the log shows all that util.inspect shows of it.
        const lines = logged.mock.calls.map((args) => format(...args));
        expectNoSecret(lines, leaks, 'log');
        for (const line of lines) {
          expect(line).toMatch(/^StoreQueryError: drizzle-pgstore: \w+ failed: relation "sessions" does not exist/);
        }
      } finally {
        logged.mockRestore();
        await backend.query('ALTER TABLE sessions_moved RENAME TO sessions');
      }
    });
  });

  it('with rolling, a touched session loads with the expiry its row has, not that of its last save', async () => {
    const app = await start({ cookie: { maxAge: HOUR }, rolling: true });
    const browser = app.client();
    const { id } = (await browser.get<{ id: string }>('/remember?value=v')).body;
    // Half an hour passes: the row and the cookie inside it both expire 30 minutes sooner.
    await backend.query(
      `UPDATE sessions SET expiry = expiry - interval '30 minutes',
         data = convert_to(jsonb_set(convert_from(data, 'UTF8')::jsonb, '{cookie,expires}',
           to_jsonb(to_char((expiry - interval '30 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text, 'UTF8')
       WHERE token = $1`,
      [id],
    );
    // An unmodified request: express-session touches the session, which slides the row an hour ahead.
    const first = (await browser.get<Cookie>('/cookie')).body;
    const [row] = await backend.query<{ ms: number | string }>(
      `SELECT (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = $1`,
      [id],
    );
    expect(Number(row!.ms)).toBeGreaterThan(Date.parse(first.expires!) + 25 * 60_000);
    // The next request loads the session with the expiry the touch wrote.
    const second = (await browser.get<Cookie>('/cookie')).body;
    expect(second.secret).toBe('v');
    expect(Date.parse(second.expires!)).toBe(Number(row!.ms));
    expect(second.maxAge).toBeGreaterThan(30 * 60_000);
  });
});

// What the adapter makes of a stored session, whatever keeps it: the in-memory store will do.
// express-session keeps the browser's cookie, so each request reports the row again;
// @fastify/session clears a cookie whose session it could not load, so only the first does.
describe.each([
  ['express-session', expressFramework, 2],
  ['@fastify/session', fastifyFramework, 1],
] as const)('a stored session without a usable cookie, on %s', (_name, framework, reports) => {
  const h = useSessionHarness(framework, inMemory);

  it.each([
    '{}',
    '{"views":3}',
    '{"cookie":null}',
    '{"cookie":"x"}',
    '{"cookie":7}',
    '{"cookie":{"expires":"2030-01-01T00:00:00Z","originalMaxAge":"x"},"views":1}',
  ])(
    '%s: a fresh session, the row left as it is, reported, no error page',
    async (text) => {
      const onUnreadable = vi.fn();
      const browser = (await h.start({ options: { onUnreadable } })).client();
      const { id } = (await browser.get<{ id: string }>('/views')).body;
      await h.overwriteData(id, text);
      for (let i = 0; i < 2; i++) {
        const reply = await browser.get<{ views: number | null }>('/peek');
        expect(reply.status, reply.text).toBe(200);
        expect(reply.body.views).toBeNull();
      }
      expect((await h.row(id))?.text).toBe(text);
      expect(onUnreadable.mock.calls).toEqual(
        Array.from({ length: reports }, () => [id, expect.objectContaining({ message: expect.stringMatching(/cookie/) })]),
      );
    },
  );
});
