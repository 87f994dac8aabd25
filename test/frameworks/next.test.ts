import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { hashToken, PGStore, SessionManager, type SessionCookie } from '../../src/index.js';
import { nextSessions, type NextSessions } from '../../src/integrations/next.js';
import { databaseUrl, openNodePostgres, type Backend } from '../support/backends.js';
import { installExample, type ExampleApp, type RunningApp } from './support/example-app.js';
import { visitor, type Visitor } from './support/next-visitor.js';

// examples/next, installed from the packed package, built by `next build` and served by
// `next start`, driven over HTTP. Next sends telemetry unless told not to.
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: '1' };
const password = `pw-${randomBytes(12).toString('base64url')}`;

describe('the Next.js 16 example (App Router)', () => {
  let backend: Backend;
  let app: ExampleApp;
  let server: RunningApp | undefined;
  let manager: SessionManager;
  const visitors: Visitor[] = [];
  const newVisitor = () => {
    const v = visitor(server!.url);
    visitors.push(v);
    return v;
  };
  const writes = async () => (await backend.query<{ n: number }>('SELECT n FROM row_writes'))[0]!.n;
  const serve = async () => {
    // The app's pool works in this test's schema only.
    const url = new URL(databaseUrl());
    url.searchParams.set('options', `-c search_path=${backend.schema}`);
    const next = join(app.dir, 'node_modules', '.bin', 'next');
    return app.start(next, ['start', '-H', '127.0.0.1'], { ...NEXT_ENV, DATABASE_URL: url.href, DEMO_PASSWORD: password });
  };
  const signIn = async (v: Visitor, fields = { user: 'ada', password }) => v.submitAction('/', fields);

  beforeAll(async () => {
    backend = await openNodePostgres();
    // Every row write to the sessions table, counted by the database itself.
    await backend.query('CREATE TABLE row_writes (n int NOT NULL)');
    await backend.query('INSERT INTO row_writes VALUES (0)');
    await backend.query(`CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE row_writes SET n = n + 1; RETURN NULL; END $$`);
    await backend.query('CREATE TRIGGER counted AFTER INSERT OR UPDATE OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION count_write()');
    manager = new SessionManager(new PGStore(backend.db, { cleanupInterval: 0 }));
    const started = Date.now();
    app = await installExample('next');
    const installed = Date.now();
    await app.npm(['run', 'build'], NEXT_ENV);
    console.info(`next example: install ${Math.round((installed - started) / 1000)} s, next build (Turbopack) ${Math.round((Date.now() - installed) / 1000)} s`);
    server = await serve();
  });
  afterAll(async () => {
    await server?.stop();
    await app?.remove();
    await backend?.close();
  });

  it('signs in through a Server Action, with a new token: a planted session is worth nothing after', async () => {
    // An attacker's session, planted in the visitor's browser before sign-in (session fixation).
    const planted = await manager.loadToken(undefined);
    planted.set('pin:planted', 'yes');
    const plantedToken = (await manager.commitCookie(planted))!.value;
    const v = newVisitor();
    v.plant(plantedToken);

    const wrong = await signIn(v, { user: 'ada', password: 'not the password' });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/?failed=1');
    expect(v.token).toBe(plantedToken);

    const response = await signIn(v);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(v.token).toBeDefined();
    expect(v.token).not.toBe(plantedToken);
    expect(await backend.query('SELECT 1 FROM sessions WHERE token = $1', [hashToken(plantedToken)])).toEqual([]);
    const page = await (await v.request('/')).text();
    expect(page).toContain('Signed in as <!-- -->ada');
    // The renewed session keeps what it held; the planted token now reads as signed out.
    expect(page).toContain('data-pins="1"');
    const attacker = newVisitor();
    attacker.plant(plantedToken);
    expect(await (await attacker.request('/')).text()).toContain('<h1>Sign in</h1>');
  });

  it('reads in a Server Component and changes in a Route Handler', async () => {
    const v = newVisitor();
    await signIn(v);
    const pinned = await v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: 'home' }) });
    expect(pinned.status).toBe(200);
    expect(await pinned.json()).toEqual({ page: 'home', pinned: true });
    expect(await (await v.request('/')).text()).toMatch(/data-pins="1">Pinned: <!-- -->home</);

    const unpinned = await v.request('/api/pins?page=home', { method: 'DELETE' });
    expect(unpinned.status).toBe(200);
    expect(await (await v.request('/')).text()).toContain('data-pins="0"');

    expect((await v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: '../etc' }) })).status).toBe(400);
    const stranger = newVisitor();
    expect((await stranger.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: 'home' }) })).status).toBe(401);
    expect(stranger.token).toBeUndefined();
  });

  it('gates /account in proxy.ts', async () => {
    const v = newVisitor();
    const refused = await v.request('/account');
    expect(refused.status).toBe(307);
    expect(new URL(refused.headers.get('location')!, server!.url).pathname).toBe('/');
    await signIn(v);
    const account = await v.request('/account');
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('Account of <!-- -->ada');
  });

  it('signs out through a Server Action: the cookie expires and the old token reads as signed out', async () => {
    const v = newVisitor();
    await signIn(v);
    const token = v.token!;
    const response = await v.submitAction('/', {});
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
    expect(v.token).toBeUndefined();
    expect(await backend.query('SELECT 1 FROM sessions WHERE token = $1', [hashToken(token)])).toEqual([]);
    const again = newVisitor();
    again.plant(token);
    expect((await again.request('/account')).status).toBe(307);
  });

  it('keeps all of 50 concurrent changes to one session', async () => {
    const v = newVisitor();
    await signIn(v);
    const pages = Array.from({ length: 50 }, (_, i) => `page-${i}`);
    const responses = await Promise.all(
      pages.map((page) => v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page }) })),
    );
    expect(responses.map((r) => r.status)).toEqual(pages.map(() => 200));
    const session = await manager.loadToken(v.token);
    expect(session.keys().filter((key) => key.startsWith('pin:')).sort()).toEqual(pages.map((page) => `pin:${page}`).sort());
    expect(await (await v.request('/')).text()).toContain('data-pins="50"');
  });

  it('writes no row for 100 unchanged page views (and one for a change)', async () => {
    const v = newVisitor();
    await signIn(v);
    const before = await writes();
    for (let i = 0; i < 100; i++) {
      const path = i % 2 === 0 ? '/' : '/account';
      const response = await v.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(await writes()).toBe(before);
    // The counter counts: a change is one write.
    await v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: 'counted' }) });
    expect(await writes()).toBe(before + 1);
  });

  it('refuses cross-site requests: a Server Action sign-in (login CSRF) and a Route Handler change', async () => {
    const crossSite = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };
    const stranger = newVisitor();
    const before = await writes();
    const forged = await stranger.submitAction('/', { user: 'ada', password }, crossSite);
    expect(forged.status).toBe(500);
    expect(forged.headers.getSetCookie()).toEqual([]);
    expect(stranger.token).toBeUndefined();

    const v = newVisitor();
    await signIn(v);
    const signedIn = await writes();
    expect(signedIn).toBe(before + 1);
    const post = await v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: 'forged' }), headers: crossSite });
    expect(post.status).toBe(403);
    const noFetchMetadata = await v.request('/api/pins?page=home', { method: 'DELETE', headers: { origin: 'http://evil.example' } });
    expect(noFetchMetadata.status).toBe(403);
    const forgedSignOut = await v.submitAction('/', {}, crossSite);
    expect(forgedSignOut.status).toBe(500);
    expect(await writes()).toBe(signedIn);
    expect(await (await v.request('/')).text()).toContain('Signed in as');
  });

  it('puts no token, no stored session data and no password in any page or in the log', async () => {
    const rows = await backend.query<{ data: Buffer }>('SELECT data FROM sessions');
    expect(rows.length).toBeGreaterThan(0);
    const tokens = visitors.flatMap((v) => v.tokens);
    expect(tokens.length).toBeGreaterThan(5);
    const secrets = [
      password,
      ...tokens,
      ...tokens.map(hashToken),
      ...rows.flatMap(({ data }) => [data.toString('hex'), data.toString('base64'), data.toString('utf8')]),
    ];
    const pages = visitors.flatMap((v) => v.pages);
    const output = server!.output();
    for (const secret of secrets) {
      expect(pages.filter((page) => page.includes(secret))).toEqual([]);
      expect(output.includes(secret)).toBe(false);
    }
  });

  it('builds with webpack too (`next build --webpack`, empty config) and serves the same app', async () => {
    await server!.stop();
    server = undefined;
    const started = Date.now();
    await app.npm(['run', 'build', '--', '--webpack'], NEXT_ENV);
    console.info(`next example: next build --webpack ${Math.round((Date.now() - started) / 1000)} s`);
    server = await serve();
    const v = newVisitor();
    expect((await signIn(v)).status).toBe(303);
    expect(await (await v.request('/')).text()).toContain('Signed in as <!-- -->ada');
    expect((await v.request('/api/pins', { method: 'POST', body: JSON.stringify({ page: 'webpack' }) })).status).toBe(200);
    expect(await (await v.request('/')).text()).toContain('data-pins="1"');
  });

  it('an app that imports only the main entry builds with an empty config under Turbopack and webpack', async () => {
    // A second app beside the example, sharing its node_modules: one page, the main entry only.
    const dir = join(app.dir, 'main-entry-only');
    await mkdir(join(dir, 'app'), { recursive: true });
    await writeFile(join(dir, 'next.config.mjs'), 'export default {};\n');
    await writeFile(
      join(dir, 'app', 'layout.js'),
      'export default function Layout({ children }) { return <html><body>{children}</body></html>; }\n',
    );
    await writeFile(
      join(dir, 'app', 'page.js'),
      `import { migrations, PGStore, sessions } from 'drizzle-pgstore';
export default function Page() {
  return <p>{typeof PGStore} {sessions.token.name} {migrations.migrationsTable}</p>;
}
`,
    );
    for (const bundler of ['--turbopack', '--webpack']) {
      const output = await app.npm(['exec', '--', 'next', 'build', bundler, 'main-entry-only'], NEXT_ENV);
      expect(output).toMatch(/Generating static pages/);
    }
  });
});

describe('nextSessions, with a cookie store as Next hands one over', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openNodePostgres();
  });
  afterAll(() => backend?.close());

  /** What `await cookies()` is to the integration: get and set, here kept in a Map. */
  const cookieStore = (initial: Record<string, string> = {}) => {
    const values = new Map(Object.entries(initial));
    const set: Array<{ name: string; value: string; options: SessionCookie['options'] }> = [];
    return {
      set,
      store: {
        get: (name: string) => (values.has(name) ? { value: values.get(name)! } : undefined),
        set: (name: string, value: string, options: SessionCookie['options']) => void set.push({ name, value, options }),
      },
    };
  };
  const rows = async () => (await backend.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions'))[0]!.n;

  it("commits when the change ends in Next's redirect(), and not when it throws anything else", async () => {
    const sessions = nextSessions<{ user: string }>(new PGStore(backend.db, { cleanupInterval: 0 }));
    const redirect = Object.assign(new Error('NEXT_REDIRECT'), { digest: 'NEXT_REDIRECT;replace;/;307;' });
    const failed = cookieStore();
    await expect(sessions.update(failed.store, (s) => { s.set('user', 'ada'); throw new Error('boom'); })).rejects.toThrow('boom');
    expect(failed.set).toEqual([]);
    expect(await rows()).toBe(0);

    const redirected = cookieStore();
    await expect(sessions.update(Promise.resolve(redirected.store), (s) => { s.set('user', 'ada'); throw redirect; })).rejects.toBe(redirect);
    expect(redirected.set).toEqual([{ name: 'session', value: expect.any(String), options: expect.objectContaining({ httpOnly: true, sameSite: 'lax' }) }]);
    expect(await rows()).toBe(1);

    const read = await sessions.read(cookieStore({ session: redirected.set[0]!.value }).store);
    expect(read.get('user')).toBe('ada');
    expect(await sessions.update(cookieStore({ session: redirected.set[0]!.value }).store, (s) => s.get('user'))).toBe('ada');
  });

  it('refuses what is no cookie store, before any query', async () => {
    const sessions = nextSessions(new PGStore(backend.db, { cleanupInterval: 0 }));
    const before = await rows();
    const message = /^drizzle-pgstore: nextSessions needs a cookie store with get\(\): cookies\(\), request.cookies or response.cookies$/;
    await expect(sessions.read(undefined as never)).rejects.toThrow(message);
    await expect(sessions.update({ get: () => undefined } as never, () => {})).rejects.toThrow(/with set\(\)/);
    await expect(sessions.update(cookieStore().store, 'not a function' as never)).rejects.toThrow(/update takes a function/);
    const session = await sessions.load(cookieStore().store);
    session.set('user', 'ada');
    await expect(sessions.commit(session, {} as never)).rejects.toThrow(/with set\(\)/);
    expect(await rows()).toBe(before);
  });

  it('gives Server Components a session without setters', () => {
    type ReadOnly = Awaited<ReturnType<NextSessions<{ user: string }>['read']>>;
    expectTypeOf<ReadOnly>().toHaveProperty('get');
    expectTypeOf<ReadOnly>().not.toHaveProperty('set');
    expectTypeOf<ReadOnly>().not.toHaveProperty('destroy');
    expectTypeOf<ReturnType<ReadOnly['get']>>().toEqualTypeOf<string | undefined>();
  });
});
