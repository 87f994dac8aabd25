import { readFile } from 'node:fs/promises';
import connectPgSimple from 'connect-pg-simple';
import { drizzle } from 'drizzle-orm/node-postgres';
import session from 'express-session';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExpressSessionStore } from '../src/express/index.js';
import { hashToken, PGStore } from '../src/index.js';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { createConnectPgSimpleTable } from './support/connect-pg-simple.js';
import { CookieClient } from './support/cookie-client.js';
import { expressFramework, type RunningApp } from './support/session-apps.js';

const DAY = 86_400_000;
const migrationFile = new URL('../docs/from-connect-pg-simple.sql', import.meta.url);

/** The SQL expression the file's comment gives for hashTokens, in place of `sid`. */
function hashExpression(file: string): string {
  const expression = /^-- `(.*sha256\(.*\)),`$/m.exec(file)?.[1];
  if (expression === undefined) throw new Error('the file no longer documents the hashTokens expression');
  return expression;
}

/** The documented change for hashTokens, applied to the documented statement. */
const hashedVariant = (file: string) => file.replace(/^SELECT sid,/m, `SELECT ${hashExpression(file)},`);

describe('the documented hashTokens expression', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openNodePostgres();
  });
  afterAll(() => backend?.close());

  it('is hashToken() in SQL', async () => {
    const expression = hashExpression(await readFile(migrationFile, 'utf8'));
    for (const sid of ['', 'abc', 'q3Jt7pW0b1xYzK9vR2sLmN4cE6uA8dH5fG0jT1iV3oQ', 'sessión-ключ', 'x'.repeat(1000)]) {
      const [row] = await backend.query<{ hash: string }>(`SELECT ${expression} AS hash FROM (SELECT $1::text AS sid) AS session`, [sid]);
      expect(row?.hash, sid).toBe(hashToken(sid));
    }
  });
});

type Peek = { id: string; views: number | null; signedIn: boolean };

/**
 * The switch from connect-pg-simple, end to end: sessions made by an express app on
 * connect-pg-simple, the documented SQL, then an app on drizzle-pgstore that reads the
 * same cookies. The app's connections use a time zone far from UTC, as a server set to
 * local time would, since connect-pg-simple's `expire` has none.
 */
describe.each([{ hashTokens: false }, { hashTokens: true }])(
  'switching from connect-pg-simple (hashTokens: $hashTokens)',
  ({ hashTokens }) => {
    let backend: Backend;
    let appPool: pg.Pool;
    let statement: string;
    const apps: RunningApp[] = [];
    const key = (sid: string) => (hashTokens ? hashToken(sid) : sid);

    beforeAll(async () => {
      backend = await openNodePostgres();
      await createConnectPgSimpleTable(backend);
      appPool = new pg.Pool({
        connectionString: databaseUrl(),
        options: `-c search_path=${backend.schema} -c TimeZone=Pacific/Kiritimati`,
      });
      const sql = await readFile(migrationFile, 'utf8');
      statement = hashTokens ? hashedVariant(sql) : sql;
    });
    afterAll(async () => {
      await appPool?.end();
      await backend?.close();
    });
    beforeEach(() => backend.query('TRUNCATE session, sessions'));
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    it('documents one statement, and the hashTokens change applies to it', () => {
      const code = statement.replace(/--.*$/gm, '').trim();
      expect(code.match(/;/g)).toHaveLength(1);
      expect(code).toMatch(/^INSERT INTO sessions \(token, data, expiry\)\s/);
      if (hashTokens) expect(statement).toMatch(/^SELECT rtrim\(.*sha256\(/m);
    });

    it('keeps users signed in, copies only live sessions, and leaves existing rows alone', async () => {
      const before = await expressFramework.start({
        store: new (connectPgSimple(session))({ pool: appPool, pruneSessionInterval: false }),
        maxAge: DAY,
      });
      apps.push(before);
      const signedIn = new CookieClient(before.url);
      const expired = new CookieClient(before.url);
      const alreadyThere = new CookieClient(before.url);
      const startedAt = Date.now();
      await signedIn.post('/regenerate');
      const { id: signedInId } = (await signedIn.get<Peek>('/views')).body;
      const finishedAt = Date.now();
      const { id: expiredId } = (await expired.get<Peek>('/views')).body;
      const { id: existingId } = (await alreadyThere.get<Peek>('/views')).body;
      await backend.query(`UPDATE session SET expire = expire - interval '2 days' WHERE sid = $1`, [expiredId]);
      await backend.query(
        `INSERT INTO sessions (token, data, expiry) VALUES ($1, convert_to('{"cookie":{},"views":41}', 'UTF8'), now() + interval '1 hour')`,
        [key(existingId)],
      );

      const [first] = await appPool.query(statement).then((result) => [result.rowCount]);
      expect(first).toBe(1);
      expect((await appPool.query(statement)).rowCount).toBe(0);

      const rows = await backend.query<{ token: string; ms: number }>(
        `SELECT token, (extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions ORDER BY token`,
      );
      expect(rows.map((row) => row.token).sort()).toEqual([key(signedInId), key(existingId)].sort());
      // connect-pg-simple rounds the cookie's expiry up to the second: the same instant, not hours off.
      const signedInKey = key(signedInId);
      const copied = Number(rows.find((row) => row.token === signedInKey)?.ms);
      expect(copied).toBeGreaterThanOrEqual(Math.floor((startedAt + DAY) / 1000) * 1000);
      expect(copied).toBeLessThanOrEqual(Math.ceil((finishedAt + DAY) / 1000) * 1000);

      const after = await expressFramework.start({
        store: new ExpressSessionStore(new PGStore(drizzle(appPool), { cleanupInterval: 0, hashTokens })),
        maxAge: DAY,
      });
      apps.push(after);
      for (const browser of [signedIn, expired, alreadyThere]) browser.baseUrl = after.url;
      expect((await signedIn.get<Peek>('/peek')).body).toEqual({ id: signedInId, views: 1, signedIn: true });
      expect((await expired.get<Peek>('/peek')).body.views).toBeNull();
      expect((await alreadyThere.get<Peek>('/peek')).body).toMatchObject({ id: existingId, views: 41 });
    });
  },
);
