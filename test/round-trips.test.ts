import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExpressSessionStore } from '../src/express/index.js';
import { PGStore, SessionManager } from '../src/index.js';
import { openNodePostgres, openPglite, openPostgresJs, type Backend } from './support/backends.js';
import { CookieClient } from './support/cookie-client.js';
import { countingDb, type StatementLog } from './support/counting-db.js';
import { expressFramework, type RunningApp } from './support/session-apps.js';

const REQUESTS = 20;
const DAY = 86_400_000;
const isFind = (statement: string) => /^select "data"/.test(statement) || /= any\(/.test(statement);

/**
 * Statements each unmodified request costs, counted as drizzle sends them: the read that
 * loads the session, and no touch when the expiry would move by less than `touchAfter`.
 */
describe.each([openPglite, openNodePostgres, openPostgresJs])('round trips per unmodified request (%o)', (open) => {
  let backend: Backend;
  let log: StatementLog;
  let store: PGStore;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(async () => {
    await backend.query('TRUNCATE sessions');
    const counted = countingDb(backend);
    log = counted.log;
    store = new PGStore(counted.db, { cleanupInterval: 0 });
  });
  afterEach(() => store.close());

  describe('ExpressSessionStore under express-session', () => {
    let app: RunningApp | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    async function unmodifiedRequests(adapter: ExpressSessionStore) {
      app = await expressFramework.start({ store: adapter, maxAge: DAY });
      const browser = new CookieClient(app.url);
      expect((await browser.get('/views')).body).toMatchObject({ views: 1 });
      log.reset();
      for (let i = 0; i < REQUESTS; i++) expect((await browser.get('/peek')).body).toMatchObject({ views: 1 });
      return log.statements;
    }

    it('costs one statement, the find, when the touch would move the expiry by less than touchAfter', async () => {
      const statements = await unmodifiedRequests(new ExpressSessionStore(store));
      expect(statements).toHaveLength(REQUESTS);
      expect(statements.every(isFind)).toBe(true);
    });

    it('still asks the database to touch when the move is due (touchAfter 0)', async () => {
      const statements = await unmodifiedRequests(new ExpressSessionStore(store, { touchAfter: 0 }));
      const touches = statements.filter((statement) => /^update/.test(statement));
      expect(statements.filter(isFind)).toHaveLength(REQUESTS);
      // Each request slides the cookie to its own now + maxAge; only two in one millisecond would not move it.
      expect(touches.length).toBeGreaterThan(REQUESTS / 2);
    });

    it('asks the database when the touch comes with no get before it', async () => {
      const adapter = new ExpressSessionStore(store);
      const cookie = { originalMaxAge: DAY, expires: new Date(Date.now() + DAY) };
      await adapter.set('sid-without-get', { cookie } as never);
      log.reset();
      expect(await adapter.touch('sid-without-get', { cookie } as never)).toBe(false);
      expect(log.statements).toHaveLength(1);
      expect(log.statements[0]).toMatch(/^update/);
    });

    it('costs two statements per changed request: the find and one compare-and-swap, no second read', async () => {
      app = await expressFramework.start({ store: new ExpressSessionStore(store), maxAge: DAY });
      const browser = new CookieClient(app.url);
      await browser.get('/views');
      log.reset();
      for (let i = 0; i < REQUESTS; i++) await browser.get('/views');
      expect((await browser.get('/peek')).body).toMatchObject({ views: REQUESTS + 1 });
      const statements = log.statements.slice(0, 2 * REQUESTS);
      expect(statements.filter(isFind)).toHaveLength(REQUESTS);
      expect(statements.filter((statement) => /^update/.test(statement))).toHaveLength(REQUESTS);
    });

    it('answers a touch after a get as the database would: written when the move is past touchAfter', async () => {
      const adapter = new ExpressSessionStore(store, { touchAfter: 60 });
      const cookie = { originalMaxAge: DAY, expires: new Date(Date.now() + DAY) };
      await adapter.set('sid', { cookie } as never);
      await adapter.get('sid');
      log.reset();
      // 30 s: within touchAfter, decided without a query.
      expect(await adapter.touch('sid', { cookie: { ...cookie, expires: new Date(cookie.expires.getTime() + 30_000) } } as never)).toBe(false);
      expect(log.statements).toHaveLength(0);
      await adapter.get('sid');
      log.reset();
      // 120 s: past it, so the database writes.
      expect(await adapter.touch('sid', { cookie: { ...cookie, expires: new Date(cookie.expires.getTime() + 120_000) } } as never)).toBe(true);
      expect(log.statements).toHaveLength(1);
    });
  });

  describe('SessionManager', () => {
    it('costs one statement, the find, with an idle timeout whose slide is not due', async () => {
      const manager = new SessionManager(store, { idleTimeout: 3_600_000 });
      const handler = manager.handle(async (_request, session) => {
        if (session.status === 'unmodified' && session.token === null) session.set('user', 1);
        return new Response(String(session.get('user')));
      });
      const first = await handler(new Request('http://app/'));
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
      log.reset();
      for (let i = 0; i < REQUESTS; i++) {
        const response = await handler(new Request('http://app/', { headers: { cookie } }));
        expect(await response.text()).toBe('1');
      }
      expect(log.statements).toHaveLength(REQUESTS);
      expect(log.statements.every(isFind)).toBe(true);
    });
  });
});
