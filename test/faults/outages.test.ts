import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, hashToken, PGStore, type PGStoreOptions, type SessionsTable } from '../../src/index.js';
import { uniqueName } from '../support/backends.js';
import { sessionsTableDdl } from '../support/sql.js';
import { queryOnce, startCluster, type Cluster } from './support/cluster.js';
import { checkNoAcknowledgedWriteLost, Load, waitForSuccesses } from './support/load.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Long enough for postgres.js to back off, reconnect and time out a connect; never reached by a healthy call. */
const DEADLINE_MS = 90_000;
/** How long to wait for the stores to work again after a fault. */
const RECOVERY_MS = 60_000;

let cluster: Cluster;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

/** One query on a connection of its own, so it never depends on the pools under test. */
const admin = <Row = Record<string, unknown>>(text: string, params: unknown[] = []) => queryOnce<Row>(cluster.url, text, params);

async function newTable(): Promise<{ name: string; table: SessionsTable }> {
  const name = uniqueName('faults');
  for (const statement of sessionsTableDdl(name, `${name}_expiry_idx`)) await admin(statement);
  return { name, table: defineSessionsTable(name) };
}

/** A node-postgres pool and a postgres.js client on the cluster, and the errors of idle pool clients. */
function openDrivers() {
  const idleErrors: unknown[] = [];
  const pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
  // Without this listener a server that goes away kills the process through an idle client.
  pool.on('error', (error) => idleErrors.push(error));
  const sql = postgres(cluster.url, { max: 4, onnotice: () => {} });
  return {
    pool,
    sql,
    idleErrors,
    close: async () => {
      await pool.end();
      await sql.end({ timeout: 5 });
    },
  };
}
let drivers: ReturnType<typeof openDrivers>;
const storesMade: PGStore[] = [];

function newStores(table: SessionsTable, options: PGStoreOptions = {}) {
  const make = (db: ConstructorParameters<typeof PGStore>[0], extra: PGStoreOptions) => {
    const store = new PGStore(db, { table, cleanupInterval: 0, ...options, ...extra });
    storesMade.push(store);
    return store;
  };
  return {
    nodePostgres: (extra: PGStoreOptions = {}) => make(drizzleNodePostgres(drivers.pool), extra),
    postgresJs: (extra: PGStoreOptions = {}) => make(drizzlePostgresJs(drivers.sql), extra),
  };
}

/** The mixed load every fault hits: saves, finds and deletes through both drivers at once. */
function startLoad(make: ReturnType<typeof newStores>) {
  return new Load({
    stores: { 'node-postgres': make.nodePostgres(), 'postgres.js': make.postgresJs() },
    workersPerStore: 8,
    tokensPerWorker: 4,
    deadlineMs: DEADLINE_MS,
  });
}


/** What each token holds, read straight from the table (keyed by the tokens' hashes) on a fresh connection. */
async function tableValues(name: string, tokens: string[]): Promise<Map<string, string | null>> {
  const rows = await admin<{ token: string; value: string }>(
    `SELECT token, convert_from(data, 'UTF8') AS value FROM ${name} WHERE token = ANY($1) AND expiry > now()`,
    [tokens.map(hashToken)],
  );
  const byKey = new Map(rows.map((row) => [row.token, row.value]));
  return new Map(tokens.map((token) => [token, byKey.get(hashToken(token)) ?? null]));
}

/** What every fault test demands of the history of its load. */
async function expectEveryCallSettledAndNoWriteLost(load: Load, tableName: string) {
  expect(load.count('hung'), 'calls still pending at the deadline').toBe(0);
  const oddRejections = load.history.filter((op) => op.outcome === 'non-error rejection');
  expect(oddRejections.map((op) => op.error), 'rejections with something that is not an Error').toEqual([]);
  expect(checkNoAcknowledgedWriteLost(load.history, await tableValues(tableName, load.tokens))).toEqual([]);
  expect(unhandled, 'unhandled rejections').toEqual([]);
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  cluster = await startCluster();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await cluster?.destroy();
});
afterEach(async () => {
  await Promise.all(storesMade.splice(0).map((store) => store.close()));
  await drivers?.close();
});

describe('faults on a PostgreSQL server the test owns', () => {
  it('settles every call when every backend is terminated mid-load, and works again with the same pools', async () => {
    drivers = openDrivers();
    const { name, table } = await newTable();
    const make = newStores(table);
    const load = startLoad(make);
    await waitForSuccesses(load, RECOVERY_MS, 0, 100);

    const [killed] = await admin<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    const fault = load.history.length;
    // Both pools held connections, and all of them went.
    expect(killed!.n).toBeGreaterThanOrEqual(2);

    await waitForSuccesses(load, RECOVERY_MS, fault, 200);
    await load.stop();

    // The kill ended the connections of a running load (above); the calls it caught may fail
    // or, sent once more on a live connection, succeed (docs/guarantees.md, "A dead connection").
    await expectEveryCallSettledAndNoWriteLost(load, name);
  });

  it('settles every call while the server is down, reports each failed cleanup, and cleans again once it is back', async () => {
    drivers = openDrivers();
    const { name, table } = await newTable();
    const make = newStores(table);
    const cleanupErrors: unknown[] = [];
    const cleaner = make.nodePostgres({ cleanupInterval: 100, onError: (error) => cleanupErrors.push(error) });
    const runs = vi.spyOn(cleaner, 'deleteExpired');
    const load = startLoad(make);
    await waitForSuccesses(load, RECOVERY_MS, 0, 100);
    expect(cleanupErrors).toEqual([]);

    // A crash: no checkpoint, every connection cut at once.
    await cluster.stop('immediate');
    const fault = load.history.length;
    await sleep(3000);
    const failedRunsWhileDown = cleanupErrors.length;
    await cluster.start();

    await waitForSuccesses(load, RECOVERY_MS, fault, 200);
    await load.stop();

    expect(load.count('error')).toBeGreaterThan(0);
    await expectEveryCallSettledAndNoWriteLost(load, name);

    // The cleanup kept its schedule while the server was down and said so on each run.
    expect(failedRunsWhileDown).toBeGreaterThanOrEqual(5);
    for (const error of cleanupErrors) expect(error).toBeInstanceOf(Error);
    // And once it is back, it cleans again: rows that expire now go on the next runs.
    await admin(
      `INSERT INTO ${name} SELECT 'expired-' || i, '\\x00', now() - interval '1 minute' FROM generate_series(1, 50) AS i`,
    );
    await vi.waitFor(async () => expect((await admin(`SELECT 1 FROM ${name} WHERE expiry < now()`)).length).toBe(0), {
      timeout: RECOVERY_MS,
      interval: 100,
    });
    await cleaner.stopCleanup();
    // One report per failed run, no more and no fewer.
    const failedRuns = runs.mock.settledResults.filter((result) => result.type === 'rejected').length;
    expect(cleanupErrors).toHaveLength(failedRuns);
    expect(cleaner.cleanup.lastRun?.error).toBeUndefined();
  });
});
