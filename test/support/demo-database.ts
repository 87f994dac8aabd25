import pg from 'pg';
import { databaseUrl, uniqueName } from './backends.js';

/**
 * A PostgreSQL database of its own for one demo process, so the demo's migrations and its
 * public.sessions table meet nothing left by other test files or earlier runs.
 */
export interface DemoDatabase {
  /** Its URL, for the demo's DATABASE_URL. */
  readonly url: string;
  /** Its name. */
  readonly name: string;
  /** Counts the rows of the demo's sessions table, live or expired. */
  countRows(): Promise<number>;
  /** The rows of the sessions table, their data as text (the demo keeps JSON). */
  rows(): Promise<Array<{ token: string; data: string; expiry: Date }>>;
  /** Runs SQL in the database. */
  query: pg.Pool['query'];
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

export async function createDemoDatabase(): Promise<DemoDatabase> {
  const name = uniqueName('pgstore_demo');
  const admin = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
  const url = new URL(databaseUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.href, max: 1 });
  // An idle client cut off by the server (a restart, another suite's pg_terminate_backend)
  // must not become an unhandled error; the next query on it reports the failure instead.
  for (const client of [admin, pool]) client.on('error', () => {});
  await admin.query(`CREATE DATABASE ${name}`);
  return {
    url: url.href,
    name,
    countRows: async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions')).rows[0]!.n,
    rows: async () =>
      (await pool.query("SELECT token, convert_from(data, 'UTF8') AS data, expiry FROM sessions ORDER BY token")).rows,
    query: pool.query.bind(pool) as pg.Pool['query'],
    drop: async () => {
      await pool.end();
      // Not WITH (FORCE): it would kill connections still saying goodbye, and their clients would
      // raise the termination as an unhandled error. Plain DROP waits a moment for them instead.
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}
