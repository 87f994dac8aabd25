import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { openNodePostgres, type Backend } from './support/backends.js';
import { CookieClient } from './support/cookie-client.js';
import { startExample } from './support/example-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let backend: Backend;

beforeAll(async () => {
  backend = await openNodePostgres();
});
afterAll(() => backend?.close());
beforeEach(() => backend.query('TRUNCATE sessions'));

const storedViews = async () =>
  (await backend.query<{ data: Uint8Array }>('SELECT data FROM sessions')).map((row) => new TextDecoder().decode(row.data));

it("the README's express wiring is examples/express-server.ts, line for line, in its order", async () => {
  const [readme, source] = await Promise.all([
    readFile(`${root}README.md`, 'utf8'),
    readFile(`${root}examples/express-server.ts`, 'utf8'),
  ]);
  const section = readme.slice(readme.indexOf('## express-session'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  // '// …' stands for lines left out; every other line is the file's, in the file's order.
  const shown = block.split('\n').filter((line) => line !== '' && line !== '// …');
  const lines = source.split('\n');
  let at = 0;
  for (const line of shown) {
    at = lines.indexOf(line, at);
    expect(at, `README line not in examples/express-server.ts (or out of order): ${line}`).toBeGreaterThanOrEqual(0);
    at++;
  }
  expect(shown.length).toBeGreaterThan(15);
});

it('the express example serves sessions from PostgreSQL, and on SIGTERM stops by itself with status 0, its sessions kept', async () => {
  const server = await startExample('examples/express-server.ts', backend, { SESSION_SECRET: 'example secret' });
  const browser = new CookieClient(server.url);
  try {
    expect((await browser.get('/')).text).toBe('views: 1');
    expect((await browser.get('/')).text).toBe('views: 2');
  } finally {
    expect(await server.stop()).toEqual({ code: 0, output: expect.stringMatching(/^listening on \d+\n$/) });
  }
  expect((await storedViews()).map((text) => JSON.parse(text).views)).toEqual([2]);
});

it('the Hono example keeps a session, renews it at sign-in, ends it at sign-out, and stops on SIGTERM', async () => {
  const server = await startExample('examples/hono-server.ts', backend);
  const browser = new CookieClient(server.url);
  const sameOrigin = { origin: server.url, 'sec-fetch-site': 'same-origin' };
  try {
    expect((await browser.get('/')).text).toBe('visits: 1, user: none');
    const before = browser.cookie('session');
    expect((await browser.request('POST', '/sign-in', undefined, sameOrigin)).status).toBe(303);
    expect(browser.cookie('session')).not.toBe(before);
    expect((await browser.get('/')).text).toBe('visits: 2, user: 42');
    // The token from before sign-in is worth nothing now.
    const planted = new CookieClient(server.url);
    expect((await planted.request('GET', '/', undefined, { cookie: `session=${before}` })).text).toBe('visits: 1, user: none');
    await browser.request('POST', '/sign-out', undefined, sameOrigin);
    expect(browser.cookie('session')).toBeUndefined();
    expect(await storedViews()).toHaveLength(1); // the planted visitor's new session, not ours
  } finally {
    expect(await server.stop()).toEqual({ code: 0, output: expect.stringMatching(/^listening on \d+\n$/) });
  }
});

it('the Hono example refuses cross-site posts: a forged sign-in gets no cookie, a forged sign-out ends nothing', async () => {
  const server = await startExample('examples/hono-server.ts', backend);
  const crossSite = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
  try {
    const victim = new CookieClient(server.url);
    const forged = await victim.request('POST', '/sign-in', undefined, crossSite);
    expect(forged.status).toBe(403);
    expect(forged.setCookies).toEqual([]);
    expect(await storedViews()).toEqual([]);

    const browser = new CookieClient(server.url);
    await browser.request('POST', '/sign-in', undefined, { origin: server.url, 'sec-fetch-site': 'same-origin' });
    const signedIn = browser.cookie('session');
    for (const headers of [crossSite, { origin: 'http://evil.example' }, { 'sec-fetch-site': 'same-site' }]) {
      const signOut = await browser.request('POST', '/sign-out', undefined, headers);
      expect(signOut.status).toBe(403);
      expect(signOut.setCookies).toEqual([]);
    }
    expect(browser.cookie('session')).toBe(signedIn);
    expect((await browser.get('/')).text).toBe('visits: 1, user: 42');
  } finally {
    await server.stop();
  }
});
