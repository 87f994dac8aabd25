import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../../src/token-hash.js';
import { openAstroDatabase, type AstroDatabase } from './support/astro-database.js';
import { describeAstroDriver } from './support/astro-driver-suite.js';
import { AstroVisitor, pagesSeen } from './support/astro-visitor.js';
import { installExample, type ExampleApp, type RunningApp } from './support/example-app.js';

// examples/astro: Astro 7 with @astrojs/node, sessions through drizzle-pgstore/astro's driver,
// built with `astro build` and served by the server it built, over HTTP.
const password = `pw-${randomUUID()}`;
/** Session data (names, cart items) the tests put in, each unmistakable. */
const dataSeen = new Set<string>();
const marker = (what: string) => {
  const value = `${what}-${randomUUID().slice(0, 8)}`;
  dataSeen.add(value);
  return value;
};
/** Every session ID the tests saw. */
const idsSeen = new Set<string>();
/** Session IDs go through here on their way into assertions, so the leak check knows them all. */
const seen = (id: string | undefined) => {
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  idsSeen.add(id!);
  return id!;
};

let app: ExampleApp;
/** Every server started, stopped or not: their output is checked for secrets at the end. */
const servers: RunningApp[] = [];

/** Builds the app with `env` at build time (Astro's config is read then) and serves it on `database`. */
async function buildAndServe(database: AstroDatabase, env: NodeJS.ProcessEnv = {}): Promise<RunningApp> {
  await app.npm(['run', 'build'], { ASTRO_TELEMETRY_DISABLED: '1', ...env });
  return serve(database.appUrl);
}

async function serve(databaseUrl: string): Promise<RunningApp> {
  const server = await app.start('node', ['dist/server/entry.mjs'], { DATABASE_URL: databaseUrl, DEMO_PASSWORD: password });
  servers.push(server);
  return server;
}

/** Stops the server before its schema goes, so its cleanup never runs on a dropped table. */
const stopThenDrop = async (server: RunningApp | undefined, database: AstroDatabase | undefined) => {
  await server?.stop();
  await database?.close();
};

async function signIn(visitor: AstroVisitor, name: string) {
  const reply = await visitor.action('signIn', { name, password });
  expect(reply.status).toBe(303);
  return reply;
}

beforeAll(async () => {
  app = await installExample('astro');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await app?.remove();
});

describeAstroDriver();

it('typechecks as its users see it (astro check): astro.config against Astro\'s config types, the session typed by App.SessionData', async () => {
  const output = await app.npm(['run', 'check'], { ASTRO_TELEMETRY_DISABLED: '1' });
  expect(output).toMatch(/- 0 errors/);
});

describe('the Astro example, built and served', () => {
  let database: AstroDatabase;
  let server: RunningApp;
  let url: string;
  const ttl = 7 * 24 * 3600; // the example's default

  beforeAll(async () => {
    database = await openAstroDatabase();
    server = await buildAndServe(database);
    url = server.url;
  });
  afterAll(() => stopThenDrop(server, database));

  it('set and get: a value set in an action is a row keyed by the hash of the session ID, expiring ttl after the write', async () => {
    const visitor = new AstroVisitor(url);
    expect(await visitor.session()).toEqual({ user: null, cart: [] });
    expect(visitor.sessionId).toBeUndefined(); // reading an empty session starts none
    const item = marker('tea');
    expect((await visitor.action('addToCart', { item })).status).toBe(303);
    const id = seen(visitor.sessionId);
    expect(await visitor.session()).toEqual({ user: null, cart: [item] });

    const rows = await database.rows();
    expect(rows.map((row) => row.token)).toEqual([hashToken(id)]);
    expect(rows[0]!.data).toContain(item);
    const [write] = (await database.writes()).filter((entry) => entry.token === hashToken(id));
    expect(write!.op).toBe('INSERT');
    const lifetime = (write!.expiry.getTime() - write!.at.getTime()) / 1000;
    expect(lifetime).toBeGreaterThan(ttl - 60);
    expect(lifetime).toBeLessThanOrEqual(ttl + 1);
  });

  it('sign-in regenerates the session ID: the data moves to the new one and the old one is dead at once', async () => {
    const visitor = new AstroVisitor(url);
    const item = marker('cake');
    await visitor.action('addToCart', { item });
    const before = seen(visitor.sessionId);

    const name = marker('ada');
    await signIn(visitor, name);
    const after = seen(visitor.sessionId);
    expect(after).not.toBe(before);
    expect(await visitor.session()).toEqual({ user: name, cart: [item] });

    // The ID planted before sign-in (session fixation) reads as no session, and its row is gone.
    expect(await new AstroVisitor(url, { sessionId: before }).session()).toEqual({ user: null, cart: [] });
    const tokens = (await database.rows()).map((row) => row.token);
    expect(tokens).toContain(hashToken(after));
    expect(tokens).not.toContain(hashToken(before));
  });

  it('a wrong password signs nobody in and changes no session', async () => {
    const visitor = new AstroVisitor(url);
    await visitor.action('addToCart', { item: marker('jam') });
    const id = seen(visitor.sessionId);
    const writes = (await database.writes()).length;
    const reply = await visitor.action('signIn', { name: 'mallory', password: `not-${password}` });
    expect(reply.status).toBe(401);
    expect(reply.text).toContain('Wrong name or password.');
    expect(reply.setCookies).toEqual([]);
    expect(visitor.sessionId).toBe(id);
    expect((await visitor.session()).user).toBeNull();
    expect((await database.writes()).length).toBe(writes);
  });

  it('sign-out destroys the session: the cookie is cleared, the row deleted, and the old cookie signs nobody in', async () => {
    const visitor = new AstroVisitor(url);
    await signIn(visitor, marker('grace'));
    const id = seen(visitor.sessionId);
    const reply = await visitor.action('signOut');
    expect(reply.status).toBe(303);
    expect(reply.setCookies.join()).toMatch(/astro-session=[^;]*;.*Expires=Thu, 01 Jan 1970/i);
    expect(visitor.sessionId).toBeUndefined();
    expect((await database.rows()).map((row) => row.token)).not.toContain(hashToken(id));
    expect(await new AstroVisitor(url, { sessionId: id }).session()).toEqual({ user: null, cart: [] });
  });

  it('refuses form posts from another site (security.checkOrigin): no sign-in, no sign-out, no write', async () => {
    const evil = 'http://evil.example';
    const stranger = new AstroVisitor(url, { origin: evil });
    const writes = (await database.writes()).length;
    const forged = await stranger.action('signIn', { name: 'mallory', password });
    expect(forged.status).toBe(403);
    expect(forged.setCookies).toEqual([]);

    const victim = new AstroVisitor(url);
    const name = marker('alan');
    await signIn(victim, name);
    const id = seen(victim.sessionId);
    const before = (await database.writes()).length;
    const fromEvil = new AstroVisitor(url, { origin: evil, sessionId: id });
    expect((await fromEvil.action('signOut')).status).toBe(403);
    expect((await fromEvil.action('addToCart', { item: 'forged' })).status).toBe(403);
    expect(await victim.session()).toEqual({ user: name, cart: [] });
    expect((await database.writes()).length).toBe(before);
    expect(before).toBe(writes + 1); // the victim's own sign-in, and nothing else
  });

  it('100 unchanged page views of a signed-in session write no row', async () => {
    const visitor = new AstroVisitor(url);
    const name = marker('linus');
    await signIn(visitor, name);
    seen(visitor.sessionId);
    const before = (await database.writes()).length;
    for (let view = 0; view < 100; view++) {
      const page = await visitor.page(view % 2 === 0 ? '/' : '/api/session');
      expect(page.status).toBe(200);
      expect(page.text).toContain(name);
      expect(page.setCookies).toEqual([]);
    }
    const written = (await database.writes()).length - before;
    console.log(`astro: ${written} row writes for 100 unchanged requests`);
    expect(written).toBe(0);
  });

  it('50 concurrent changes to one session: each request answered, the session intact; how many are kept is Astro’s doing', async () => {
    const visitor = new AstroVisitor(url);
    const name = marker('barbara');
    await signIn(visitor, name);
    const id = seen(visitor.sessionId);
    const items = Array.from({ length: 50 }, (_, i) => `item-${i}`);
    const replies = await Promise.all(items.map((item) => visitor.action('addToCart', { item })));
    expect(replies.map((reply) => reply.status)).toEqual(items.map(() => 303));
    expect(visitor.sessionId).toBe(id);
    const { user, cart } = await visitor.session();
    expect(user).toBe(name);
    // Astro reads the whole session, changes it and writes it back: the last write wins.
    expect(cart.length).toBeGreaterThanOrEqual(1);
    expect(new Set(cart).size).toBe(cart.length);
    for (const item of cart) expect(items).toContain(item);
    console.log(`astro: ${cart.length} of 50 concurrent changes kept`);
  });
});

describe('the Astro example with a short ttl', () => {
  let database: AstroDatabase;
  let server: RunningApp;
  let url: string;
  const ttl = 3;

  beforeAll(async () => {
    database = await openAstroDatabase();
    // The example cleans expired rows every min(ttl, 60 s).
    server = await buildAndServe(database, { SESSION_TTL: String(ttl) });
    url = server.url;
  });
  afterAll(() => stopThenDrop(server, database));

  it('the row expires ttl after its last write, the cookie then signs nobody in, and the cleanup deletes the row', async () => {
    const visitor = new AstroVisitor(url);
    const name = marker('edsger');
    await signIn(visitor, name);
    const id = seen(visitor.sessionId);
    expect((await visitor.session()).user).toBe(name);
    const [write] = (await database.writes()).filter((entry) => entry.token === hashToken(id));
    const lifetime = (write!.expiry.getTime() - write!.at.getTime()) / 1000;
    expect(lifetime).toBeGreaterThan(ttl - 2);
    expect(lifetime).toBeLessThanOrEqual(ttl);

    await vi.waitFor(async () => expect((await visitor.session()).user).toBeNull(), { timeout: 30_000, interval: 250 });
    const rows = await database.rows();
    expect(rows.every((row) => row.expired)).toBe(true);
    await vi.waitFor(async () => expect(await database.rows()).toEqual([]), { timeout: 30_000, interval: 250 });
    expect((await database.writes()).filter((entry) => entry.op === 'DELETE').map((entry) => entry.token)).toEqual([hashToken(id)]);
    expect(await new AstroVisitor(url, { sessionId: id }).session()).toEqual({ user: null, cart: [] });
  });
});

describe('the Astro example without its database', () => {
  /** Starts the build made last with `DATABASE_URL` as given, and visits with a session ID kept from before. */
  async function visitWith(databaseUrl: string) {
    const server = await serve(databaseUrl);
    const id = seen(randomUUID());
    const visitor = new AstroVisitor(server.url, { sessionId: id });
    const reply = await visitor.page('/api/session');
    const signIn = await visitor.action('signIn', { name: marker('ken'), password });
    // The server is still up, and pages that need no session still work.
    const home = await new AstroVisitor(server.url).page();
    return { server, reply, signIn, home };
  }

  it('a database that refuses connections fails the request (500), not the server', async () => {
    const { server, reply, signIn, home } = await visitWith('postgres://postgres@127.0.0.1:1/test');
    expect(reply.status).toBe(500);
    expect(signIn.status).toBe(500);
    expect(home.status).toBe(200);
    expect(server.output()).toMatch(/find failed: connect ECONNREFUSED/);
    // The sign-in's regenerate() could not delete the old session: said without its ID.
    expect(server.output()).toContain('drizzle-pgstore: a session could not be deleted, and lives until it expires: connect ECONNREFUSED');
  });

  it('an unset DATABASE_URL fails the request with an error that names it', async () => {
    const { server, reply, home } = await visitWith('');
    expect(reply.status).toBe(500);
    expect(home.status).toBe(200);
    expect(server.output()).toContain('reads its PostgreSQL URL from DATABASE_URL, which is not set');
  });
});

describe('the Astro example with a driver module of its own, over a database it opens', () => {
  let database: AstroDatabase;
  let server: RunningApp;
  const ttl = 600;

  beforeAll(async () => {
    database = await openAstroDatabase();
    // What docs/frameworks/astro.md tells users with a database of their own to write.
    await writeFile(
      join(app.dir, 'src/session-driver.ts'),
      `import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { PGStore } from 'drizzle-pgstore';
import { createSessionDriver } from 'drizzle-pgstore/astro';

const store = new PGStore(drizzle(new pg.Pool({ connectionString: process.env.DATABASE_URL })), { hashTokens: true });
export default (config?: { ttl?: number }) => createSessionDriver(store, config);
`,
    );
    const configPath = join(app.dir, 'astro.config.ts');
    const config = await readFile(configPath, 'utf8');
    const own = config.replace(
      /driver: pgSessionDriver\(\{[^}]*\}\)/,
      "driver: { entrypoint: new URL('./src/session-driver.ts', import.meta.url), config: { ttl } }",
    );
    expect(own).not.toBe(config);
    await writeFile(configPath, own);
    server = await buildAndServe(database, { SESSION_TTL: String(ttl) });
  });
  afterAll(() => stopThenDrop(server, database));

  it('signs in and out through createSessionDriver: hashed IDs, the ttl of its config, the row deleted at sign-out', async () => {
    const visitor = new AstroVisitor(server.url);
    const name = marker('frances');
    await signIn(visitor, name);
    const id = seen(visitor.sessionId);
    expect(await visitor.session()).toEqual({ user: name, cart: [] });
    const [write] = (await database.writes()).filter((entry) => entry.token === hashToken(id));
    const lifetime = (write!.expiry.getTime() - write!.at.getTime()) / 1000;
    expect(lifetime).toBeGreaterThan(ttl - 60);
    expect(lifetime).toBeLessThanOrEqual(ttl);
    await visitor.action('signOut');
    expect(await database.rows()).toEqual([]);
    expect(await new AstroVisitor(server.url, { sessionId: id }).session()).toEqual({ user: null, cart: [] });
  });
});

it('nothing the app answered or printed holds a session ID, its hash or the password; no session data is in its log', () => {
  // The data shows only on its own visitor's pages, as the app means it to.
  const log = servers.map((server) => server.output()).join('\n');
  const ids = [...idsSeen];
  expect(ids.length).toBeGreaterThan(10);
  for (const secret of [...ids, ...ids.map(hashToken), password]) {
    expect(pagesSeen.find((page) => page.includes(secret))).toBeUndefined();
    expect(log).not.toContain(secret);
  }
  expect(dataSeen.size).toBeGreaterThan(10);
  for (const data of dataSeen) expect(log).not.toContain(data);
});
