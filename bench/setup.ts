import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { hashToken, migrations } from '../src/index.js';
import { SessionCipher } from '../src/store/encryption.js';
import { BENCH_KEY, sessionObject, sessionBytes, type BenchTable } from './subjects.js';

/** Recreates the bench schema with our table (from the shipped migration) and connect-pg-simple's (from its table.sql). */
export async function createBenchSchema(databaseUrl: string, schema: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, options: `-c search_path=${schema}` });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await migrate(drizzle(pool), { ...migrations, migrationsSchema: schema });
    const require = createRequire(import.meta.url);
    const tableSql = await readFile(require.resolve('connect-pg-simple/table.sql'), 'utf8');
    // WITH (OIDS=FALSE) is the PostgreSQL 11-era default spelled out; 12+ still accepts it.
    await pool.query(tableSql);
    await pool.query('CREATE TABLE sessions_encrypted (LIKE sessions INCLUDING ALL)');
  } finally {
    await pool.end();
  }
}

/**
 * Fills a table with `count` rows named `<prefix><i>` expiring `seconds` from now, in the
 * table's own format, in one statement. With `hashed`, our table's rows are keyed by
 * hashToken of those names, as a store with `hashTokens` (the default) keys them.
 */
export async function seed(
  pool: pg.Pool,
  table: BenchTable,
  { prefix, count, seconds, hashed = false }: { prefix: string; count: number; seconds: number; hashed?: boolean },
): Promise<void> {
  if (table === 'sessions_encrypted') {
    // Sealed here as the store seals them, each for its own row.
    const cipher = new SessionCipher([BENCH_KEY]);
    const tokens = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
    const sealed = tokens.map((token) => Buffer.from(cipher.seal(token, sessionBytes())).toString('hex'));
    await pool.query(
      `INSERT INTO sessions_encrypted (token, data, expiry)
       SELECT token, decode(hex, 'hex'), current_timestamp + make_interval(secs => $3)
       FROM unnest($1::text[], $2::text[]) AS seeded(token, hex)
       ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
      [tokens, sealed, seconds],
    );
  } else if (table === 'sessions' && hashed) {
    const tokens = Array.from({ length: count }, (_, i) => hashToken(`${prefix}${i + 1}`));
    await pool.query(
      `INSERT INTO sessions (token, data, expiry)
       SELECT token, $2::bytea, current_timestamp + make_interval(secs => $3)
       FROM unnest($1::text[]) AS seeded(token)
       ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
      [tokens, Buffer.from(sessionBytes()), seconds],
    );
  } else if (table === 'sessions') {
    await pool.query(
      `INSERT INTO sessions (token, data, expiry)
       SELECT $1 || i, $2::bytea, current_timestamp + make_interval(secs => $3)
       FROM generate_series(1, $4::int) i
       ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
      [prefix, Buffer.from(sessionBytes()), seconds, count],
    );
  } else {
    await pool.query(
      `INSERT INTO session (sid, sess, expire)
       SELECT $1 || i, $2::json, localtimestamp + make_interval(secs => $3)
       FROM generate_series(1, $4::int) i
       ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, expire = excluded.expire`,
      [prefix, JSON.stringify(sessionObject()), seconds, count],
    );
  }
}
