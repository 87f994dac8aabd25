import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, PGStore, type SessionDatabase } from '../../src/index.js';
import { databaseUrl, uniqueName } from '../support/backends.js';
import { MANY_TOKENS, StatementLog } from '../support/counting-db.js';
import { hashedInSql } from '../support/sql.js';
import { startPgBouncer, type PgBouncer } from './support/pgbouncer.js';

/**
 * Coalesced finds and saves behind PgBouncer in transaction mode, prepared statements off:
 * the statements over arrays work there as the single-row ones do. The alias
 * has two server connections, so the batches in flight run on different ones.
 */
let bouncer: PgBouncer;
let server: pg.Pool;
const database = uniqueName('pgstore_coalesce');

beforeAll(async () => {
  server = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const { hostname, port } = new URL(databaseUrl());
  bouncer = await startPgBouncer({ host: hostname, port: Number(port || 5432) }, [
    { alias: 'pair', dbname: database, poolSize: 2 },
  ]);
  await server.query(`CREATE DATABASE ${database}`);
  const migrator = new pg.Pool({ connectionString: bouncer.url(database), max: 1 });
  await migrateNodePostgres(drizzleNodePostgres(migrator), { ...migrations, migrationsSchema: 'public' });
  await migrator.query(
    `INSERT INTO sessions (token, data, expiry)
     SELECT ${hashedInSql("'live' || i")}, convert_to('data ' || i, 'UTF8'), current_timestamp + interval '1 hour' FROM generate_series(1, 20) i
     UNION ALL
     SELECT ${hashedInSql("'dead' || i")}, convert_to('dead ' || i, 'UTF8'), current_timestamp - interval '1 minute' FROM generate_series(1, 5) i`,
  );
  await migrator.end();
});
afterAll(async () => {
  await bouncer?.stop();
  await server?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await server?.end();
});

const drivers: Array<[string, (log: StatementLog) => { db: SessionDatabase; close(): Promise<void> }]> = [
  [
    'node-postgres',
    (log) => {
      const pool = new pg.Pool({ connectionString: bouncer.url('pair'), max: 10 });
      return { db: drizzleNodePostgres(pool, { logger: log }), close: () => pool.end() };
    },
  ],
  [
    'postgres.js (prepare: false)',
    (log) => {
      const client = postgres(bouncer.url('pair'), { max: 10, prepare: false, onnotice: () => {} });
      return { db: drizzlePostgresJs(client, { logger: log }), close: () => client.end() };
    },
  ],
];

/** The statement of coalesced saves: one upsert over arrays. */
const MANY_ROWS = /unnest\(/;

describe.each(drivers)('coalesced finds through PgBouncer in transaction mode, %s', (_name, connect) => {
  it('answers concurrent finds of live, expired, missing and duplicate tokens, in batches', async () => {
    const log = new StatementLog();
    const { db, close } = connect(log);
    const store = new PGStore(db, { cleanupInterval: 0, preparedStatements: false });
    try {
      for (let round = 0; round < 5; round++) {
        const tokens = Array.from({ length: 64 }, (_, i) => ['live' + ((i % 20) + 1), 'dead' + ((i % 5) + 1), `none${i}`, 'live1'][i % 4]!);
        const found = await Promise.all(tokens.map((token, i) => (i % 3 ? store.find(token) : store.findWithExpiry(token))));
        const texts = found.map((row) => {
          const bytes = row instanceof Uint8Array ? row : row?.data;
          return bytes ? new TextDecoder().decode(bytes) : null;
        });
        expect(texts).toEqual(tokens.map((token) => (token.startsWith('live') ? `data ${token.slice(4)}` : null)));
      }
      expect(log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
      expect(log.statements.length).toBeLessThan(5 * 64);
    } finally {
      await store.close();
      await close();
    }
  });

  it('writes concurrent saves in batches, the last save of a token winning', async () => {
    const log = new StatementLog();
    const { db, close } = connect(log);
    const store = new PGStore(db, { cleanupInterval: 0, preparedStatements: false });
    try {
      for (let round = 0; round < 5; round++) {
        const tokens = Array.from({ length: 64 }, (_, i) => (i < 8 && i % 2 ? 'repeated' : `saved${round}-${i}`));
        const data = tokens.map((_, i) => Uint8Array.from([0, 92, 34, 123, round, i]));
        const expiry = new Date(Date.now() + 3_600_000 + round);
        await Promise.all(tokens.map((token, i) => store.save(token, data[i]!, expiry)));
        const found = await Promise.all(tokens.map((token) => store.findWithExpiry(token)));
        found.forEach((row, i) => {
          expect([...row!.data]).toEqual([...data[tokens[i] === 'repeated' ? 7 : i]!]);
          expect(row!.expiry.getTime()).toBe(expiry.getTime());
        });
      }
      expect(log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    } finally {
      await store.close();
      await close();
    }
  });
});
