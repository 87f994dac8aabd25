import connectPgSimple from 'connect-pg-simple';
import { drizzle } from 'drizzle-orm/node-postgres';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../src/express/index.js';
import { PGStore } from '../src/index.js';
import { createConnectPgSimpleTable } from './support/connect-pg-simple.js';
import { CookieClient } from './support/cookie-client.js';
import { expressFramework, fastifyFramework, type AppSettings, type Framework } from './support/session-apps.js';
import { openWriteCounter, type WriteCounter } from './support/write-counter.js';

const REQUESTS = 1000;
const DAY = 86_400_000;

/**
 * Row writes (inserted + updated + deleted tuples, as PostgreSQL's statistics count them)
 * that 1,000 requests which leave the session unchanged cost, one browser, cookie maxAge
 * one day. The figures are printed for the README.
 */
describe(`row writes per ${REQUESTS} unmodified requests, on PostgreSQL`, () => {
  let counter: WriteCounter;
  const figures: Array<{ setup: string; writes: number }> = [];

  beforeAll(async () => {
    counter = await openWriteCounter();
    await createConnectPgSimpleTable(counter.backend);
  });
  afterAll(async () => {
    console.log(
      `Row writes per ${REQUESTS} requests that leave the session unchanged:\n` +
        figures.map(({ setup, writes }) => `  ${String(writes).padStart(5)}  ${setup}`).join('\n'),
    );
    await counter?.close();
  });

  async function measure(setup: string, framework: Framework, settings: AppSettings, table: string) {
    const app = await framework.start({ maxAge: DAY, ...settings });
    try {
      const browser = new CookieClient(app.url);
      expect((await browser.get('/views')).body).toMatchObject({ views: 1 });
      const before = await counter.writesTo(table);
      const startedAt = Date.now();
      for (let i = 0; i < REQUESTS; i++) {
        const reply = await browser.get<{ views: number }>('/peek');
        if (reply.body.views !== 1) throw new Error(`request ${i} lost the session: ${JSON.stringify(reply.body)}`);
      }
      const writes = (await counter.writesTo(table)) - before;
      figures.push({ setup, writes });
      return { writes, elapsedMs: Date.now() - startedAt };
    } finally {
      await app.close();
    }
  }

  const ours = (options: ExpressSessionStoreOptions = {}) =>
    new ExpressSessionStore(new PGStore(drizzle(counter.appPool), { cleanupInterval: 0 }), options);

  it('express-session + connect-pg-simple writes the row on every request', async () => {
    const store = new (connectPgSimple(session))({ pool: counter.appPool, pruneSessionInterval: false });
    try {
      const { writes } = await measure('express-session + connect-pg-simple', expressFramework, { store }, 'session');
      expect(writes).toBeGreaterThanOrEqual(REQUESTS * 0.9);
    } finally {
      store.close();
    }
  });

  it('express-session + ExpressSessionStore with the default touchAfter writes at most once a minute', async () => {
    const { writes, elapsedMs } = await measure(
      'express-session + drizzle-pgstore (touchAfter: 60, the default)',
      expressFramework,
      { store: ours() },
      'sessions',
    );
    // touchAfter is 60 s (a tenth of a day is more): one write per 60 s of requests at most.
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsedMs / 60_000));
  });

  it('touchAfter: 0 writes whenever the expiry moves', async () => {
    const { writes } = await measure(
      'express-session + drizzle-pgstore (touchAfter: 0)',
      expressFramework,
      { store: ours({ touchAfter: 0 }) },
      'sessions',
    );
    // Requests that land in the same millisecond do not move the expiry, so not quite all.
    expect(writes).toBeGreaterThan(REQUESTS / 2);
  });

  it('disableTouch writes nothing', async () => {
    const { writes } = await measure(
      'express-session + drizzle-pgstore (disableTouch: true)',
      expressFramework,
      { store: ours({ disableTouch: true }) },
      'sessions',
    );
    expect(writes).toBe(0);
  });

  it('@fastify/session with rolling (its default) saves on every request', async () => {
    const { writes } = await measure(
      '@fastify/session (rolling: true, the default) + drizzle-pgstore',
      fastifyFramework,
      { store: ours() },
      'sessions',
    );
    expect(writes).toBe(REQUESTS);
  });

  it('@fastify/session with rolling: false writes nothing', async () => {
    const { writes } = await measure(
      '@fastify/session (rolling: false) + drizzle-pgstore',
      fastifyFramework,
      { store: ours(), rolling: false },
      'sessions',
    );
    expect(writes).toBe(0);
  });
});
