import type { Logger } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSessionsTable, PGStore, StoreQueryError, type SessionDatabase } from '../../src/index.js';
import { databaseUrl, uniqueName } from '../support/backends.js';
import { expectNoSecret, secretSession } from '../support/secrets.js';

/**
 * A statement whose connection died goes once more, never twice more, and a statement that
 * failed for any other reason never goes again. The server here ends the connection of
 * every statement that reads `doomed`: a view whose one-time filter counts the attempt in a
 * sequence (which no rollback undoes) and terminates its own backend.
 */
const database = uniqueName('pgstore_resend');
let server: pg.Pool;
let admin: pg.Pool;
const url = () => {
  const address = new URL(databaseUrl());
  address.pathname = `/${database}`;
  return address.href;
};

beforeAll(async () => {
  server = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
  await server.query(`CREATE DATABASE ${database}`);
  admin = new pg.Pool({ connectionString: url(), max: 1 });
  await admin.query(`
    CREATE TABLE sessions (token text PRIMARY KEY, data bytea NOT NULL, expiry timestamptz NOT NULL);
    CREATE SEQUENCE attempts;
    CREATE FUNCTION doom() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
      PERFORM nextval('attempts');
      PERFORM pg_terminate_backend(pg_backend_pid());
      PERFORM pg_sleep(30); -- the termination lands here
      RETURN true;
    END $$;
    CREATE VIEW doomed AS SELECT token, data, expiry FROM sessions WHERE (SELECT doom())
      WITH CASCADED CHECK OPTION;`);
});
afterAll(async () => {
  await admin?.end();
  await server?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await server?.end();
});

/** Statements the server ran doom() for so far. */
const attempts = async () => Number((await admin.query<{ n: string }>('SELECT last_value AS n FROM attempts')).rows[0]!.n);
/** How many statements `act` made doom() run, and what it failed with. */
async function attemptsOf(act: () => Promise<unknown>): Promise<{ attempts: number; error: unknown }> {
  const before = await attempts();
  const error = await act().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return { attempts: (await attempts()) - before, error };
}

/** Every statement drizzle sent, with its parameters. */
class Sent implements Logger {
  readonly statements: Array<{ query: string; params: unknown[] }> = [];
  logQuery(query: string, params: unknown[]): void {
    this.statements.push({ query, params });
  }
  /** The store's statements, without the `select 1` probes. */
  get own() {
    return this.statements.filter((statement) => statement.query !== 'select 1');
  }
  get probes() {
    return this.statements.length - this.own.length;
  }
}

const drivers: Array<[string, (logger: Sent) => { db: SessionDatabase; close(): Promise<void> }]> = [
  [
    'node-postgres',
    (logger) => {
      const pool = new pg.Pool({ connectionString: url(), max: 4 });
      pool.on('error', () => {});
      return { db: drizzleNodePostgres(pool, { logger }), close: () => pool.end() };
    },
  ],
  [
    'postgres.js',
    (logger) => {
      const sql = postgres(url(), { max: 4, onnotice: () => {} });
      return { db: drizzlePostgresJs(sql, { logger }), close: () => sql.end({ timeout: 5 }) };
    },
  ],
];

describe.each(drivers)('%s: a statement goes again once, and only after a connection failure', (_name, connect) => {
  let sent: Sent;
  let close: () => Promise<void>;
  let db: SessionDatabase;
  const stores: PGStore[] = [];
  const open = (table: string, options: ConstructorParameters<typeof PGStore>[1] = {}) => {
    const store = new PGStore(db, { table: defineSessionsTable(table), cleanupInterval: 0, ...options });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    sent = new Sent();
    ({ db, close } = connect(sent));
    // Starts the sequence, so that every later attempt adds one to last_value.
    await admin.query("SELECT nextval('attempts')");
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await close();
  });

  /** What `act` sent and the server ran, and how it failed: the store's statements, without probes. */
  const measure = async (act: () => Promise<unknown>) => {
    sent.statements.length = 0;
    const { attempts: runs, error } = await attemptsOf(act);
    return { sent: sent.own.length, runs, error };
  };
  /** A connection failure, as each driver reports a backend terminated under its statement. */
  const CONNECTION_ENDED = ['57P01', 'CONNECTION_CLOSED'];

  it('a lone find whose connection dies again in its second run fails with that, after two runs, keeping its secrets', async () => {
    const store = open('doomed');
    const session = await secretSession();
    const result = await measure(() => store.find(session.token));
    expect(result.sent).toBe(2);
    // A first run can meet a connection an earlier case's doom ended, before reaching the server.
    expect(result.runs).toBeGreaterThanOrEqual(1);
    expect(result.runs).toBeLessThanOrEqual(2);
    expect(result.error).toBeInstanceOf(StoreQueryError);
    expect(CONNECTION_ENDED).toContain((result.error as StoreQueryError).code);
    expectNoSecret(result.error, session, 'a find that failed twice');
  });

  it('50 concurrent finds: each statement, coalesced or not, goes twice, then every caller gets the failure', async () => {
    const store = open('doomed');
    const tokens = Array.from({ length: 50 }, (_, i) => `resend-${i}`);
    const result = await measure(async () => {
      const outcomes = await Promise.allSettled(tokens.map((token) => store.find(token)));
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(CONNECTION_ENDED).toContain((outcome as PromiseRejectedResult).reason.code);
      }
    });
    const byParams = new Map<string, number>();
    for (const { params } of sent.own) byParams.set(JSON.stringify(params), (byParams.get(JSON.stringify(params)) ?? 0) + 1);
    // Each distinct statement (its tokens) went exactly twice, and the server ran none more often.
    expect([...byParams.values()].every((times) => times === 2)).toBe(true);
    expect(byParams.size).toBeGreaterThan(1);
    expect(result.runs).toBeLessThanOrEqual(result.sent);
  });

  it('a delete and a save go twice; a replace, which may have committed, goes once', async () => {
    const store = open('doomed');
    const expiry = new Date(Date.now() + 60_000);
    const bytes = new TextEncoder().encode('data');
    expect((await measure(() => store.delete('resend-delete'))).sent).toBe(2);
    expect((await measure(() => store.save('resend-save', bytes, expiry))).sent).toBe(2);
    const replaced = await measure(() => store.replace('resend-replace', bytes, bytes, expiry));
    expect(replaced.sent).toBe(1);
    expect(CONNECTION_ENDED).toContain((replaced.error as StoreQueryError).code);
  });

  it('a missing table (42P01) is not sent again, and no probe goes', async () => {
    // A client of its own: the doomed cases leave connections their server ended.
    const fresh = connect(sent);
    const store = new PGStore(fresh.db, { table: defineSessionsTable('no_such_table'), cleanupInterval: 0 });
    try {
      sent.statements.length = 0;
      const error = await store.find('resend-missing').catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(StoreQueryError);
      expect((error as StoreQueryError).code).toBe('42P01');
      expect(sent.own).toHaveLength(1);
      expect(sent.probes).toBe(0);
    } finally {
      await store.close();
      await fresh.close();
    }
  });
});
