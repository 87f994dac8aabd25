import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, PGStore } from '../../src/index.js';
import { databaseUrl, uniqueName, type Backend, type OpenBackend } from '../support/backends.js';
import { describeStoreContract } from '../support/contract.js';
import { sameBytes } from '../support/sql.js';
import { startPgBouncer, type PgBouncer } from './support/pgbouncer.js';

/**
 * The store behind PgBouncer in transaction pool mode, where consecutive transactions of
 * one client may run on different server connections. PgBouncer ignores a startup
 * `search_path`, so each backend gets a database of its own rather than a schema.
 */
let bouncer: PgBouncer;
let server: pg.Pool;
const tinyDatabase = uniqueName('pgstore_tiny');

const migrationsConfig = { ...migrations, migrationsSchema: 'public' };

/** A fresh server database, migrated through the bouncer, and a way to drop it. */
async function freshDatabase(name = uniqueName('pgstore_bouncer')) {
  await server.query(`CREATE DATABASE ${name}`);
  const migrator = new pg.Pool({ connectionString: bouncer.url(name), max: 1 });
  await migrateNodePostgres(drizzleNodePostgres(migrator), migrationsConfig);
  await migrator.end();
  return {
    name,
    // FORCE: the bouncer may still hold idle server connections to it.
    drop: () => server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

const openNodePostgresThroughBouncer: OpenBackend = async () => {
  const database = await freshDatabase();
  const pool = new pg.Pool({ connectionString: bouncer.url(database.name), max: 10 });
  return {
    db: drizzleNodePostgres(pool),
    schema: 'public',
    query: async <Row>(text: string, params?: unknown[]) => (await pool.query(text, params)).rows as Row[],
    close: async () => {
      await pool.end();
      await database.drop();
    },
  } satisfies Backend;
};

const openPostgresJsThroughBouncer: OpenBackend = async () => {
  const database = await freshDatabase();
  // postgres.js names and caches its own prepared statements unless told not to.
  const client = postgres(bouncer.url(database.name), { max: 10, prepare: false, onnotice: () => {} });
  return {
    db: drizzlePostgresJs(client),
    schema: 'public',
    query: async <Row>(text: string, params?: unknown[]) =>
      (await client.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as Row[],
    close: async () => {
      await client.end();
      await database.drop();
    },
  } satisfies Backend;
};

beforeAll(async () => {
  server = new pg.Pool({ connectionString: databaseUrl(), max: 2 });
  const { hostname, port } = new URL(databaseUrl());
  // `tiny` has one server connection, so two clients are sure to share it; `pair` has two.
  bouncer = await startPgBouncer({ host: hostname, port: Number(port || 5432) }, [
    { alias: 'tiny', dbname: tinyDatabase, poolSize: 1 },
    { alias: 'pair', dbname: tinyDatabase, poolSize: 2 },
  ]);
});
afterAll(async () => {
  await bouncer?.stop();
  await server?.query(`DROP DATABASE IF EXISTS ${tinyDatabase} WITH (FORCE)`);
  await server?.end();
});

describe('PgBouncer in transaction mode', () => {
  it('is the version these tests describe', () => {
    // Named prepared statements work through PgBouncer in transaction mode from 1.21 on.
    // If this fails, the bouncer changed: check the test below still says the truth.
    expect(bouncer.version).toMatch(/^PgBouncer 1\.(1\d|20)\./);
  });

  describe('the contract, node-postgres, preparedStatements off', () =>
    describeStoreContract(openNodePostgresThroughBouncer, { storeOptions: { preparedStatements: false } }));

  describe('the contract, postgres.js (prepare: false), preparedStatements off', () =>
    describeStoreContract(openPostgresJsThroughBouncer, { storeOptions: { preparedStatements: false } }));

  describe('named prepared statements', () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    beforeAll(async () => {
      database = await freshDatabase(tinyDatabase);
    });

    /** Two node-postgres clients that PgBouncer serves from its one server connection. */
    async function twoClients() {
      const pool = new pg.Pool({ connectionString: bouncer.url('tiny'), max: 2 });
      const [a, b] = [await pool.connect(), await pool.connect()];
      return {
        a,
        b,
        close: async () => {
          a.release();
          b.release();
          await pool.end();
        },
      };
    }

    it('break before PgBouncer 1.21: on a shared server connection, node-postgres collides with itself', async () => {
      const { a, b, close } = await twoClients();
      try {
        const storeA = new PGStore(drizzleNodePostgres(a), { cleanupInterval: 0 });
        const storeB = new PGStore(drizzleNodePostgres(b), { cleanupInterval: 0 });
        // A prepares `drizzle_pgstore_find_…` on the server connection; B, on its own client
        // connection, has never prepared it and asks to, on that same server connection.
        expect(await storeA.find('t')).toBeNull();
        const error = await storeB.find('t').then(
          () => null,
          (e: unknown) => e as Error & { cause?: { code?: string; message?: string } },
        );
        expect(error).toBeInstanceOf(Error);
        expect(error!.cause?.code).toBe('42P05'); // duplicate_prepared_statement
        expect(error!.cause?.message).toMatch(/prepared statement "drizzle_pgstore_find_\w+" already exists/);
      } finally {
        await close();
      }
    });

    it('are not needed: with preparedStatements off the same two clients work', async () => {
      const { a, b, close } = await twoClients();
      try {
        const storeA = new PGStore(drizzleNodePostgres(a), { cleanupInterval: 0, preparedStatements: false });
        const storeB = new PGStore(drizzleNodePostgres(b), { cleanupInterval: 0, preparedStatements: false });
        await storeA.save('t', Uint8Array.of(7), new Date(Date.now() + 60_000));
        expect(sameBytes(await storeB.find('t'), Uint8Array.of(7))).toBe(true);
        await storeB.delete('t');
        expect(await storeA.find('t')).toBeNull();
      } finally {
        await close();
      }
    });

    /**
     * Runs `find` twice on one client connection, the second time while another client
     * holds the server connection of the first in an open transaction, so PgBouncer must
     * serve the second from a server connection that never saw the statement.
     */
    async function findOnAnotherServerConnection(store: PGStore) {
      expect(await store.find('t')).toBeNull();
      const holder = new pg.Client({ connectionString: bouncer.url('pair') });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1');
        return await store.find('t');
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
    }

    it('break before PgBouncer 1.21: on another server connection, node-postgres finds its statement missing', async () => {
      const pool = new pg.Pool({ connectionString: bouncer.url('pair'), max: 1 });
      try {
        const store = new PGStore(drizzleNodePostgres(pool), { cleanupInterval: 0 });
        const error = await findOnAnotherServerConnection(store).then(
          () => null,
          (e: unknown) => e as Error & { cause?: { code?: string; message?: string } },
        );
        expect(error).toBeInstanceOf(Error);
        expect(error!.cause?.code).toBe('26000'); // invalid_sql_statement_name
        expect(error!.cause?.message).toMatch(/prepared statement "drizzle_pgstore_find_\w+" does not exist/);
      } finally {
        await pool.end();
      }
    });

    it('postgres.js recovers by itself: it prepares again when a server connection lacks its statement', async () => {
      // postgres.js names statements uniquely per connection and, told a statement does
      // not exist, prepares it again; drizzle asks it to prepare when preparedStatements is on.
      const client = postgres(bouncer.url('pair'), { max: 1, onnotice: () => {} });
      try {
        const store = new PGStore(drizzlePostgresJs(client), { cleanupInterval: 0 });
        expect(await findOnAnotherServerConnection(store)).toBeNull();
      } finally {
        await client.end();
      }
    });

    afterAll(() => database?.drop());
  });
});
