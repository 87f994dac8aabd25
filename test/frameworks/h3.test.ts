/**
 * examples/h3, installed from the packed package as a user would and type-checked with its
 * own tsconfig, served two ways and driven over HTTP: as a plain h3 2 server on Node
 * (h3-server.ts), and as the Nitro 3 app it also is, built by `nitro build` (server/).
 */
import { hashToken } from '../../src/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { databaseUrl, openNodePostgres, type Backend } from '../support/backends.js';
import { CookieClient } from '../support/cookie-client.js';
import { installExample, type ExampleApp, type RunningApp } from './support/example-app.js';

let backend: Backend;
let app: ExampleApp;
const databaseEnv = () => {
  const url = new URL(databaseUrl());
  url.searchParams.set('options', `-c search_path=${backend.schema}`);
  return { DATABASE_URL: url.href };
};

beforeAll(async () => {
  backend = await openNodePostgres();
  app = await installExample('h3');
  await app.npm(['run', 'typecheck']);
  await app.npm(['run', 'build']);
});
afterAll(async () => {
  await app?.remove();
  await backend?.close();
});
beforeEach(() => backend.query('TRUNCATE sessions'));

const SERVERS = [
  { name: 'a plain h3 2 server on Node (h3-server.ts)', args: ['h3-server.ts'], listening: /^listening on http:\/\/127\.0\.0\.1:\d+\/?\n$/ },
  { name: 'Nitro 3, built by nitro build (server/)', args: ['.output/server/index.mjs'], listening: /^(➜ Listening on: http:\/\/127\.0\.0\.1:\d+\/?\n)?$/ } // prints it only to a terminal,
];

describe.each(SERVERS)('examples/h3 as $name', ({ args, listening }) => {
  let server: RunningApp;
  /** Every token a response gave: none may show in the server's output. */
  const tokensSeen = new Set<string>();

  beforeAll(async () => {
    server = await app.start(process.execPath, args, databaseEnv());
  });
  afterAll(() => server?.stop());

  /** The table's rows with their row versions: any write to a row changes its xmin and ctid. */
  const rowVersions = () => backend.query<{ token: string; version: string }>(`SELECT token, xmin::text || ctid::text AS version FROM sessions ORDER BY token`);

  /** A browser on the app's own origin: its posts carry the Origin and Sec-Fetch-Site it would send. */
  class Browser extends CookieClient {
    async send(method: 'GET' | 'POST', path: string, form?: URLSearchParams, headers: Record<string, string> = {}) {
      const own = method === 'POST' ? { origin: server.url, 'sec-fetch-site': 'same-origin' } : {};
      const reply = await this.request(method, path, form, { ...own, ...headers });
      const token = this.cookie('session');
      if (token) tokensSeen.add(token);
      return reply;
    }
  }

  async function signedIn(user = 'ada') {
    const browser = new Browser(server.url);
    expect((await browser.send('POST', '/sign-in', new URLSearchParams({ user }))).status).toBe(303);
    return browser;
  }

  it('gives a passer-by no row and no cookie', async () => {
    const browser = new Browser(server.url);
    const reply = await browser.send('GET', '/');
    expect(reply.body).toEqual({ user: null, keys: [] });
    expect(reply.setCookies).toEqual([]);
    expect(await rowVersions()).toEqual([]);
  });

  it('signs in with a renewed token, reads, changes, and signs out with an expired cookie', async () => {
    const browser = new Browser(server.url);
    await browser.send('POST', '/visit');
    const before = browser.cookie('session')!;
    expect(before).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const signIn = await browser.send('POST', '/sign-in', new URLSearchParams({ user: 'ada' }));
    expect(signIn.status).toBe(303);
    expect(signIn.location).toBe('/');
    const [cookie] = signIn.setCookies;
    expect(cookie).toMatch(/^session=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const after = browser.cookie('session')!;
    expect(after).not.toBe(before);
    expect((await rowVersions()).map((row) => row.token)).toEqual([hashToken(after)]);
    const planted = await new Browser(server.url).send('GET', '/', undefined, { cookie: `session=${before}` });
    expect(planted.body).toEqual({ user: null, keys: [] });

    expect((await browser.send('GET', '/')).body).toEqual({ user: 'ada', keys: ['user', 'visits'] });
    expect((await browser.send('POST', '/visit')).body).toEqual({ visits: 2 });

    const signOut = await browser.send('POST', '/sign-out');
    expect(signOut.status).toBe(303);
    expect(signOut.setCookies).toEqual([expect.stringMatching(/^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:01 GMT; HttpOnly; SameSite=Lax$/)]);
    expect(browser.cookie('session')).toBeUndefined();
    expect(await rowVersions()).toEqual([]);
  });

  it('keeps all 50 of 50 concurrent changes to one session', async () => {
    const browser = await signedIn();
    const replies = await Promise.all(Array.from({ length: 50 }, (_, n) => browser.send('POST', `/keys/${n}`)));
    expect(replies.map((reply) => reply.status)).toEqual(Array(50).fill(200));
    const { keys } = (await browser.send('GET', '/')).body as { keys: string[] };
    expect(keys.filter((key) => key.startsWith('k'))).toHaveLength(50);
    expect(keys).toEqual(['user', ...Array.from({ length: 50 }, (_, n) => `k${n}`)].sort());
  });

  it('writes no row for 100 requests that change nothing', async () => {
    const browser = await signedIn();
    const before = await rowVersions();
    expect(before).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      const reply = await browser.send('GET', '/');
      expect(reply.body).toEqual({ user: 'ada', keys: ['user'] });
      expect(reply.setCookies).toEqual([]);
    }
    expect(await rowVersions()).toEqual(before);
  });

  it('refuses a cross-site sign-in (login CSRF): 403, no cookie, no row', async () => {
    const victim = new Browser(server.url);
    const forged = await victim.send('POST', '/sign-in', new URLSearchParams({ user: 'mallory' }), {
      origin: 'http://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    expect(forged.status).toBe(403);
    expect(forged.setCookies).toEqual([]);
    expect(await rowVersions()).toEqual([]);
    // Either header alone is enough to refuse.
    const byOrigin = await victim.send('POST', '/sign-in', new URLSearchParams({ user: 'mallory' }), { origin: 'http://evil.example', 'sec-fetch-site': '' });
    expect(byOrigin.status).toBe(403);
    const bySite = await victim.send('POST', '/sign-in', new URLSearchParams({ user: 'mallory' }), { 'sec-fetch-site': 'same-site' });
    expect(bySite.status).toBe(403);
    expect(await rowVersions()).toEqual([]);
  });

  it('refuses a cross-origin sign-out and change: the session stays as it was', async () => {
    const browser = await signedIn();
    const before = await rowVersions();
    for (const path of ['/sign-out', '/visit']) {
      const forged = await browser.send('POST', path, undefined, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(forged.status).toBe(403);
      expect(forged.setCookies).toEqual([]);
    }
    expect(await rowVersions()).toEqual(before);
    expect((await browser.send('GET', '/')).body).toEqual({ user: 'ada', keys: ['user'] });
  });

  it('prints no token and no session data', () => {
    expect(tokensSeen.size).toBeGreaterThanOrEqual(4);
    const output = server.output();
    expect(output).toMatch(listening);
    for (const token of tokensSeen) expect(output).not.toContain(token);
    expect(output).not.toContain('ada');
  });
});
