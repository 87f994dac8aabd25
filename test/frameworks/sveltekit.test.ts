/**
 * examples/sveltekit, installed from the packed package, type-checked with SvelteKit's own
 * types, built with `vite build` and adapter-node, run with `node build` and driven over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/index.js';
import { sessionHandle } from '../../src/integrations/sveltekit.js';
import { databaseUrl, openNodePostgres, type Backend } from '../support/backends.js';
import { CookieClient, type Reply } from '../support/cookie-client.js';
import { installExample, type ExampleApp, type RunningApp } from './support/example-app.js';
import { addTestRoutes, NODE_BUILD_WITH_ORIGIN } from './support/sveltekit-app.js';

const PASSWORD = `pw-${randomUUID()}`;
/** A preference value nothing else contains: session data, which must stay out of the logs. */
const DATA_MARKER = `s3cr3t-${randomUUID()}`;

let app: ExampleApp;
let server: RunningApp;
let backend: Backend;
/** Every page and answer the app sent, and every token it handed out. */
const replies: Reply<unknown>[] = [];
const tokens = new Set<string>();

/** A visitor: a cookie jar whose requests carry the app's own Origin, as a browser's do. */
function visitor() {
  const client = new CookieClient(server.url);
  const send = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>, origin = server.url) => {
    const headers = { accept: 'text/html', ...(method === 'POST' && { origin }) };
    const reply = await client.request(method, path, form && new URLSearchParams(form), headers);
    replies.push(reply);
    const token = client.cookie('session');
    if (token) tokens.add(token);
    return reply;
  };
  return {
    token: () => client.cookie('session'),
    get: (path: string) => send('GET', path),
    post: (path: string, form: Record<string, string> = {}, origin?: string) => send('POST', path, form, origin),
    signIn: (password = PASSWORD) => send('POST', '/?/signIn', { name: 'ada', password }),
  };
}

const rowOf = async (token: string) =>
  (await backend.query<{ token: string }>('SELECT token FROM sessions WHERE token = $1', [hashToken(token)]))[0];
const rowCount = async () => Number((await backend.query<{ n: string }>('SELECT count(*) AS n FROM sessions'))[0]!.n);
/** Inserts, updates and deletes on the sessions table so far, counted by a trigger. */
const writes = async () => Number((await backend.query<{ n: string }>('SELECT count(*) AS n FROM session_writes'))[0]!.n);
const preferencesOn = (page: string) => Object.fromEntries([...page.matchAll(/<li>([a-z0-9-]+): ([^<]*)<\/li>/g)].map((m) => [m[1], m[2]]));
const signedInAs = (page: string) => /Signed in as <strong>([^<]+)<\/strong>/.exec(page)?.[1] ?? null;

beforeAll(async () => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 17)) {
    throw new Error(`SvelteKit 3 needs Node 22.17 or later, this is ${process.version}: run npm run test:frameworks on Node 24`);
  }
  backend = await openNodePostgres();
  await backend.query(`CREATE TABLE ${backend.schema}.session_writes (op text NOT NULL)`);
  await backend.query(`CREATE FUNCTION ${backend.schema}.count_session_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${backend.schema}.session_writes VALUES (TG_OP); RETURN NULL; END $$`);
  await backend.query(`CREATE TRIGGER count_writes AFTER INSERT OR UPDATE OR DELETE ON ${backend.schema}.sessions
    FOR EACH ROW EXECUTE FUNCTION ${backend.schema}.count_session_write()`);

  app = await installExample('sveltekit');
  await addTestRoutes(app);
  // The example's own type check: App.Locals, sequence() and the hook, with SvelteKit's types.
  await app.npm(['run', 'check']);
  await app.npm(['run', 'build']);
  const database = new URL(databaseUrl());
  database.searchParams.set('options', `-c search_path=${backend.schema}`);
  server = await app.start(process.execPath, NODE_BUILD_WITH_ORIGIN, { DATABASE_URL: database.href, DEMO_PASSWORD: PASSWORD });
});

afterAll(async () => {
  await server?.stop();
  await app?.remove();
  await backend?.close();
});

describe('SvelteKit: sessionHandle in a built app on adapter-node', () => {
  it('signs in through a form action with a renewed token, and a load reads the session', async () => {
    const ada = visitor();
    const before = await ada.post('/api/preferences', { name: 'theme', value: 'dark' });
    expect(before.status).toBe(200);
    const planted = ada.token()!;
    expect(await rowOf(planted)).toBeDefined();

    const wrong = await ada.signIn('not-the-password');
    expect(wrong.status).toBe(400);
    expect(wrong.setCookies).toEqual([]);
    expect(wrong.text).toContain('do not match');

    const signedIn = await ada.signIn();
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/');
    const renewed = ada.token()!;
    expect(renewed).not.toBe(planted);
    expect(await rowOf(planted)).toBeUndefined();
    expect(await rowOf(renewed)).toBeDefined();

    const page = await ada.get('/');
    expect(signedInAs(page.text)).toBe('ada');
    expect(preferencesOn(page.text)).toEqual({ theme: 'dark' });
    expect((await ada.get('/account')).text).toContain('Account of ada');
  });

  it('sends a signed-out visitor of /account home with a notice, shown once (a redirect thrown by a later hook commits)', async () => {
    const passerBy = visitor();
    const sent = await passerBy.get('/account');
    expect(sent.status).toBe(303);
    expect(sent.location).toBe('/');
    expect(passerBy.token()).toBeDefined();
    expect((await passerBy.get('/')).text).toContain('Sign in to see your account.');
    expect((await passerBy.get('/')).text).not.toContain('Sign in to see your account.');
  });

  it('signs out: the row is deleted, the cookie expired, and the old token is worth nothing', async () => {
    const ada = visitor();
    await ada.signIn();
    const token = ada.token()!;
    const out = await ada.post('/?/signOut');
    expect(out.status).toBe(303);
    expect(out.setCookies).toEqual([expect.stringMatching(/^session=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:01 GMT/)]);
    expect(ada.token()).toBeUndefined();
    expect(await rowOf(token)).toBeUndefined();
    expect(signedInAs((await ada.get('/')).text)).toBeNull();
  });

  it('keeps all of 50 concurrent changes to one session through +server.ts', async () => {
    const ada = visitor();
    await ada.signIn();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, n) => ada.post('/api/preferences', { name: `p${n}`, value: `v${n}` })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    const kept = preferencesOn((await ada.get('/')).text);
    expect(kept).toEqual(Object.fromEntries(Array.from({ length: 50 }, (_, n) => [`p${n}`, `v${n}`])));
  });

  it('writes no row and sets no cookie for 100 requests that leave the session as it is', async () => {
    const ada = visitor();
    await ada.signIn();
    await ada.post('/api/preferences', { name: 'secret', value: DATA_MARKER });
    const before = await writes();
    expect(before).toBeGreaterThan(0); // the trigger counts: the sign-in and the change above wrote
    const pages = [];
    for (let n = 0; n < 100; n++) pages.push(await ada.get(n % 2 === 0 ? '/' : '/__data.json'));
    expect(pages.map((page) => page.status)).toEqual(Array(100).fill(200));
    expect(pages.flatMap((page) => page.setCookies)).toEqual([]);
    expect(signedInAs(pages[0]!.text)).toBe('ada');
    expect(await writes()).toBe(before);
  });

  it("refuses cross-site form posts (SvelteKit's origin check): no sign-in, no sign-out, no change, no row", async () => {
    const rows = await rowCount();
    const attacker = 'http://evil.example';
    const stranger = visitor();
    const loginCsrf = await stranger.post('/?/signIn', { name: 'ada', password: PASSWORD }, attacker);
    expect(loginCsrf.status).toBe(403);
    expect(loginCsrf.setCookies).toEqual([]);

    const ada = visitor();
    await ada.signIn();
    const [rowsSignedIn, writesSignedIn] = [await rowCount(), await writes()];
    expect(rowsSignedIn).toBe(rows + 1);
    expect((await ada.post('/?/signOut', {}, attacker)).status).toBe(403);
    expect((await ada.post('/api/preferences', { name: 'theme', value: 'forged' }, attacker)).status).toBe(403);
    expect(await writes()).toBe(writesSignedIn);
    const page = await ada.get('/');
    expect(signedInAs(page.text)).toBe('ada');
    expect(preferencesOn(page.text)).toEqual({});
  });

  it('commits nothing for a request that fails: a later hook that throws, or an endpoint that throws (a 500 page)', async () => {
    const ada = visitor();
    await ada.signIn();
    const before = await writes();
    const hook = await ada.post('/test/failing-hook');
    const endpoint = await ada.post('/test/failing-endpoint');
    expect([hook.status, endpoint.status]).toEqual([500, 500]);
    expect([...hook.setCookies, ...endpoint.setCookies]).toEqual([]);
    expect(await writes()).toBe(before);
    expect(preferencesOn((await ada.get('/')).text)).toEqual({});
    expect(server.output()).toContain('a later hook failed');
  });

  it('commits a page whose load streams a promise, onto the headers sent before the stream', async () => {
    const visitorOfStream = visitor();
    const page = await visitorOfStream.get('/test/streaming');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<p>waiting</p>'); // rendered before the promise settled: a stream
    expect(page.text).toContain('streamed-at-last');
    expect(page.setCookies).toHaveLength(1);
    expect(preferencesOn((await visitorOfStream.get('/')).text)).toEqual({ streamed: 'kept' });
  });

  it('shows no token, token hash or password in any page, and no session data in the logs', () => {
    expect(tokens.size).toBeGreaterThan(5);
    const secrets = [PASSWORD, ...[...tokens].flatMap((token) => [token, hashToken(token)])];
    for (const reply of replies) for (const secret of secrets) expect(reply.text).not.toContain(secret);
    const logs = server.output();
    for (const secret of [...secrets, DATA_MARKER]) expect(logs).not.toContain(secret);
  });

  it('refuses to make a hook of anything but a SessionManager, naming what it takes', () => {
    for (const wrong of [undefined, null, {}, { load() {} }]) {
      expect(() => sessionHandle(wrong as never)).toThrow(new TypeError('drizzle-pgstore: sessionHandle takes a SessionManager'));
    }
  });
});
