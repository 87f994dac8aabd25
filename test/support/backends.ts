import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgresJs } from 'drizzle-orm/postgres-js/migrator';
import pg from 'pg';
import postgres from 'postgres';
import { inject } from 'vitest';
import { migrations, type SessionDatabase } from '../../src/index.js';
import { selectedBackendNames, type BackendName } from './backend-names.js';

/**
 * One database the tests run on, with its own PostgreSQL schema first on the search
 * path (so test files running in parallel never see each other's tables) and the
 * shipped migrations applied in it.
 */
export interface Backend {
  readonly db: SessionDatabase;
  /** The schema this backend's unqualified tables live in. */
  readonly schema: string;
  /** Runs raw SQL with $1-style parameters and returns the rows. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Closes the connection and drops the schema. */
  close(): Promise<void>;
}

export type OpenBackend = () => Promise<Backend>;

export const databaseUrl = (): string => inject('databaseUrl');

export const uniqueName = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const migrationsConfig = (schema: string) => ({ ...migrations, migrationsSchema: schema });

/** In-process PostgreSQL; nothing to set up. */
export const openPglite: OpenBackend = async () => {
  const client = await PGlite.create();
  const schema = 'public';
  const db = drizzlePglite(client);
  await migratePglite(db, migrationsConfig(schema));
  return {
    db,
    schema,
    query: async <Row>(text: string, params?: unknown[]) => (await client.query<Row>(text, params)).rows,
    close: () => client.close(),
  };
};

/** node-postgres against the server tests were given. */
export const openNodePostgres: OpenBackend = async () => {
  const schema = uniqueName('pgstore_test');
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 10, options: `-c search_path=${schema}` });
  await pool.query(`CREATE SCHEMA ${schema}`);
  const db = drizzleNodePostgres(pool);
  await migrateNodePostgres(db, migrationsConfig(schema));
  return {
    db,
    schema,
    query: async <Row>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as Row[],
    close: async () => {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
};

/** postgres.js against the server tests were given. */
export const openPostgresJs: OpenBackend = async () => {
  const schema = uniqueName('pgstore_test');
  const client = postgres(databaseUrl(), {
    max: 10,
    onnotice: () => {},
    connection: { search_path: schema },
  });
  await client.unsafe(`CREATE SCHEMA ${schema}`);
  const db = drizzlePostgresJs(client);
  await migratePostgresJs(db, migrationsConfig(schema));
  return {
    db,
    schema,
    query: async <Row>(text: string, params?: unknown[]) =>
      (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as Row[],
    close: async () => {
      await client.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
};

/** A driver the suites run on: how to open it, and what sets it apart. */
export interface BackendOpener {
  readonly name: BackendName;
  readonly open: OpenBackend;
  /** The database runs in this process and reads its clock, so the two cannot differ. */
  readonly sharesAppClock: boolean;
  /** Text results are decoded by a BOM-stripping TextDecoder: a token read back loses a leading U+FEFF. */
  readonly stripsLeadingBom: boolean;
  /** A 16 MiB value takes many seconds to write. */
  readonly slowBytea: boolean;
}

const ALL: Record<BackendName, BackendOpener> = {
  pglite: { name: 'pglite', open: openPglite, sharesAppClock: true, stripsLeadingBom: true, slowBytea: true },
  'node-postgres': { name: 'node-postgres', open: openNodePostgres, sharesAppClock: false, stripsLeadingBom: false, slowBytea: false },
  'postgres-js': { name: 'postgres-js', open: openPostgresJs, sharesAppClock: false, stripsLeadingBom: false, slowBytea: false },
};

/** The backends every database suite runs on: all of them, or those `BACKENDS` names. */
export const BACKENDS: readonly BackendOpener[] = selectedBackendNames().map((name) => ALL[name]);
