import connectPgSimple from 'connect-pg-simple';
import { drizzle } from 'drizzle-orm/node-postgres';
import session from 'express-session';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../src/express.js';
import { PGStore } from '../src/index.js';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { createConnectPgSimpleTable } from './support/connect-pg-simple.js';
import { CookieClient } from './support/cookie-client.js';
import { expressFramework, fastifyFramework, type AppSettings, type Framework } from './support/session-apps.js';

const REQUESTS = 1000;
const DAY = 86_400_000;

/**
 * Row writes (inserted + updated + deleted tuples, as PostgreSQL's statistics count them)
 * that 1,000 requests which leave the session unchanged cost, one browser, cookie maxAge
 * one day. The figures are printed for the README.
 */
describe(`row writes per ${REQUESTS} unmodified requests, on PostgreSQL`, () => {
  let backend: Backend;
  // One connection, so the app's statistics can be flushed on the very backend that made them.
  let appPool: pg.Pool;
  const figures: Array<{ setup: string; writes: number }> = [];

  beforeAll(async () => {
    backend = await openNodePostgres();
    await createConnectPgSimpleTable(backend);
    appPool = new pg.Pool({ connectionString: databaseUrl(), max: 1, options: `-c search_path=${backend.schema}` });
  });
  afterAll(async () => {
    console.log(
      `Row writes per ${REQUESTS} requests that leave the session unchanged:\n` +
        figures.map(({ setup, writes }) => `  ${String(writes).padStart(5)}  ${setup}`).join('\n'),
    );
    await appPool?.end();
    await backend?.close();
  });

  /** Writes to a table so far. The app's backend flushes its pending statistics first. */
  async function writesTo(table: string): Promise<number> {
    // The flush happens as that backend goes idle, before it answers: by the time this
    // resolves, the figures are in shared memory.
    await appPool.query('SELECT pg_stat_force_next_flush()');
    await backend.query('SELECT pg_stat_clear_snapshot()');
    const [row] = await backend.query<{ writes: string }>(
      `SELECT n_tup_ins + n_tup_upd + n_tup_del AS writes FROM pg_stat_user_tables WHERE relid = $1::regclass`,
      [`${backend.schema}.${table}`],
    );
    return Number(row?.writes);
  }

  async function measure(setup: string, framework: Framework, settings: AppSettings, table: string) {
    const app = await framework.start({ maxAge: DAY, ...settings });
    try {
      const browser = new CookieClient(app.url);
      expect((await browser.get('/views')).body).toMatchObject({ views: 1 });
      const before = await writesTo(table);
      const startedAt = Date.now();
      for (let i = 0; i < REQUESTS; i++) {
        const reply = await browser.get<{ views: number }>('/peek');
        if (reply.body.views !== 1) throw new Error(`request ${i} lost the session: ${JSON.stringify(reply.body)}`);
      }
      const writes = (await writesTo(table)) - before;
      figures.push({ setup, writes });
      return { writes, elapsedMs: Date.now() - startedAt };
    } finally {
      await app.close();
    }
  }

  const ours = (options: ExpressSessionStoreOptions = {}) =>
    new ExpressSessionStore(new PGStore(drizzle(appPool), { cleanupInterval: 0 }), options);

  it('express-session + connect-pg-simple writes the row on every request', async () => {
    const store = new (connectPgSimple(session))({ pool: appPool, pruneSessionInterval: false });
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
