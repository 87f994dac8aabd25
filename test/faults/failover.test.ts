import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, hashToken, PGStore, StoreQueryError, type PGStoreOptions } from '../../src/index.js';
import { sessionsTableDdl } from '../support/sql.js';
import { queryOnce, startCluster, startStandby, type Cluster } from './support/cluster.js';
import { checkNoAcknowledgedWriteLost, Load, waitForSuccesses, type Operation } from './support/load.js';
import { startDelayedLink } from './support/delayed-link.js';
import { startPgBouncer, type PgBouncer } from './support/pgbouncer.js';

/**
 * Failover on PostgreSQL's own streaming replication. Under a mixed load through both
 * drivers, the primary crashes (immediate stop), the standby is promoted and the path to
 * the database follows it, as a failover manager would do it:
 * - postgres.js is given both hosts and `target_session_attrs=primary`, and finds the new
 *   primary by itself;
 * - node-postgres (which takes one host) goes through PgBouncer, whose configuration is
 *   re-pointed at the new primary and reloaded (RELOAD on its admin console).
 * The same stores and pools carry on throughout; nothing is restarted.
 */

/** No call may stay pending longer than this. */
const DEADLINE_MS = 30_000;
/** How long the stores may take to work again on the new primary. */
const RECOVERY_MS = 60_000;
const STANDBY = 'standby1';
/**
 * One-way latency of the replication link: a standby in another zone or region lags by
 * about this much, which is what an asynchronous standby can lose in a crash.
 */
const LINK_DELAY_MS = 50;
/**
 * PgBouncer waits this long after a failed server login before it tries again (default
 * 15 s): a crashed primary is a failed login, so it is the floor of node-postgres' recovery.
 */
const SERVER_LOGIN_RETRY_S = 1;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  // Last made, first ended: stores before pools, pools before servers.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});


/** What each token holds on the server at `url` (the rows are keyed by the tokens' hashes). */
async function valuesOn(url: string, table: string, tokens: string[]): Promise<Map<string, string | null>> {
  const rows = await queryOnce<{ token: string; value: string }>(
    url,
    `SELECT token, convert_from(data, 'UTF8') AS value FROM ${table} WHERE token = ANY($1) AND expiry > now()`,
    [tokens.map(hashToken)],
  );
  const byKey = new Map(rows.map((row) => [row.token, row.value]));
  return new Map(tokens.map((token) => [token, byKey.get(hashToken(token)) ?? null]));
}

/**
 * Acknowledged writes that a server's values do not reflect. Each save writes a value
 * of its own, so the value a token holds names the write that survived; every save or
 * delete acknowledged after it was lost.
 */
function lostWrites(history: Operation[], values: Map<string, string | null>): number {
  let lost = 0;
  for (const [token, value] of values) {
    const writes = history.filter((op) => op.token === token && op.kind !== 'find');
    const survivor = writes.findLastIndex((op) => (value === null ? op.kind === 'delete' : op.written === value));
    const after = writes.slice(survivor + 1);
    // The token holds what a failed write left, or what the last acknowledged one wrote: nothing was lost.
    if (after.every((op) => op.outcome !== 'ok')) continue;
    lost += after.filter((op) => op.outcome === 'ok').length;
  }
  return lost;
}

/** A primary with a standby streaming from it over a link with latency, synchronously or not. */
async function replicatedPair(synchronous: boolean) {
  const primary = await startCluster(
    synchronous ? { synchronous_standby_names: STANDBY, synchronous_commit: 'on' } : { synchronous_commit: 'on' },
  );
  cleanups.push(() => primary.destroy());
  const link = await startDelayedLink({ host: '127.0.0.1', port: primary.port }, LINK_DELAY_MS);
  cleanups.push(() => link.cut());
  const standby = await startStandby(primary, STANDBY, link.port);
  cleanups.push(() => standby.destroy());
  await vi.waitFor(
    async () => {
      const [row] = await queryOnce<{ sync_state: string }>(
        primary.url,
        `SELECT sync_state FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
        [STANDBY],
      );
      expect(row?.sync_state).toBe(synchronous ? 'sync' : 'async');
    },
    { timeout: 30_000, interval: 100 },
  );
  return { primary, standby, link };
}

/** The stores under test, over the two ways to the primary, each running its background cleanup. */
function openStores(primary: Cluster, standby: Cluster, bouncer: PgBouncer, table: string) {
  const idleErrors: unknown[] = [];
  // node-postgres: one host, PgBouncer's; PgBouncer 1.18 in transaction mode wants no named statements.
  const pool = new pg.Pool({ connectionString: bouncer.url('postgres'), max: 4 });
  pool.on('error', (error) => idleErrors.push(error));
  // postgres.js: every host, and it picks the one that is not in recovery.
  const sql = postgres(`postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=primary`, {
    max: 4,
    connect_timeout: 5,
    onnotice: () => {},
  });
  cleanups.push(async () => {
    await pool.end();
    await sql.end({ timeout: 5 });
  });
  const cleanupErrors: Record<string, unknown[]> = { 'node-postgres': [], 'postgres.js': [] };
  const make = (name: string, db: ConstructorParameters<typeof PGStore>[0], options: PGStoreOptions) => {
    const store = new PGStore(db, {
      table: defineSessionsTable(table),
      cleanupInterval: 200,
      onError: (error) => cleanupErrors[name]!.push(error),
      ...options,
    });
    cleanups.push(() => store.close());
    return store;
  };
  const stores = {
    'node-postgres': make('node-postgres', drizzleNodePostgres(pool), { preparedStatements: false }),
    'postgres.js': make('postgres.js', drizzlePostgresJs(sql), {}),
  };
  return { stores, cleanupErrors, idleErrors };
}


/** Milliseconds from `since` to the first save on each store that resolved after it. */
function firstSaveAfter(load: Load, since: number): Record<string, number> {
  return Object.fromEntries(
    Object.keys(load.options.stores).map((name) => {
      const save = load.history.find((op) => op.store === name && op.kind === 'save' && op.outcome === 'ok' && op.settledAt! > since);
      return [name, Math.round(save!.settledAt! - since)];
    }),
  );
}

describe.each([
  { mode: 'synchronous', synchronous: true },
  { mode: 'asynchronous', synchronous: false },
])('failover to a promoted standby, $mode replication', ({ mode, synchronous }) => {
  it(`settles every call, carries on with the same stores and pools on the new primary, and ${synchronous ? 'loses no acknowledged write' : 'reports the writes it lost'}`, async () => {
    const { primary, standby, link } = await replicatedPair(synchronous);
    const table = `failover_${mode}`;
    for (const statement of sessionsTableDdl(table, `${table}_expiry_idx`)) await queryOnce(primary.url, statement);
    const bouncer = await startPgBouncer({ host: '127.0.0.1', port: primary.port }, [], {
      server_login_retry: SERVER_LOGIN_RETRY_S,
    });
    cleanups.push(() => bouncer.stop());
    const { stores, cleanupErrors } = openStores(primary, standby, bouncer, table);
    const load = new Load({ stores, workersPerStore: 8, tokensPerWorker: 4, deadlineMs: DEADLINE_MS });
    cleanups.push(() => load.stop());
    await waitForSuccesses(load, RECOVERY_MS, 0, 500);

    // The crash of the primary's machine: its link goes with it, and the server stops
    // without a checkpoint. Then what a failover manager does: read how far the standby
    // got, promote it, and lead the pooler to it.
    const crashedAt = performance.now();
    await link.cut();
    await primary.stop('immediate');
    const killedAt = performance.now();
    const fault = load.history.length;
    await vi.waitFor(
      async () => {
        const [row] = await queryOnce<{ caught_up: boolean }>(
          standby.url,
          'SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS caught_up',
        );
        expect(row?.caught_up).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    const atPromotion = await valuesOn(standby.url, table, load.tokens);
    await standby.promote();
    const promotedMs = Math.round(performance.now() - killedAt);
    await bouncer.repoint({ host: '127.0.0.1', port: standby.port });
    const repointedMs = Math.round(performance.now() - killedAt);

    await waitForSuccesses(load, RECOVERY_MS, fault, 300);
    const recoveredMs = firstSaveAfter(load, killedAt);

    // The background cleanup works on the new primary too: rows that expire now go.
    const cleanupResumedAt = new Date();
    await queryOnce(
      standby.url,
      `INSERT INTO ${table} SELECT 'expired-' || i, '\\x00', now() - interval '1 minute' FROM generate_series(1, 50) AS i`,
    );
    await vi.waitFor(
      async () => {
        expect(await queryOnce(standby.url, `SELECT 1 FROM ${table} WHERE expiry < now()`)).toHaveLength(0);
        for (const store of Object.values(stores)) {
          const run = store.cleanup.lastRun;
          expect(run!.startedAt.getTime()).toBeGreaterThan(cleanupResumedAt.getTime());
          expect(run!.error).toBeUndefined();
        }
      },
      { timeout: RECOVERY_MS, interval: 100 },
    );
    await load.stop();

    const before = load.history.slice(0, fault);
    const acknowledged = before.filter((op) => op.kind !== 'find' && op.outcome === 'ok').length;
    const lostAtPromotion = lostWrites(before, atPromotion);
    const lastWindow = before.filter(
      (op) => op.kind !== 'find' && op.outcome === 'ok' && op.settledAt! > crashedAt - 2 * LINK_DELAY_MS,
    ).length;
    const finalValues = await valuesOn(standby.url, table, load.tokens);
    console.log(
      `failover, ${mode} replication: ${lostAtPromotion} of ${acknowledged} acknowledged writes lost ` +
        `(${lastWindow} were acknowledged in the last ${2 * LINK_DELAY_MS} ms before the crash); ` +
        `kill to first save: node-postgres via PgBouncer ${recoveredMs['node-postgres']} ms, postgres.js ${recoveredMs['postgres.js']} ms ` +
        `(promoted at ${promotedMs} ms, PgBouncer re-pointed at ${repointedMs} ms); ` +
        `${load.count('error')} calls failed, cleanup failures ${cleanupErrors['node-postgres']!.length} + ${cleanupErrors['postgres.js']!.length}`,
    );

    // In both modes: nothing hung, every failure an Error, nothing unhandled, and no write
    // acknowledged after the failover lost.
    expect(load.count('hung'), 'calls still pending at the deadline').toBe(0);
    expect(load.history.filter((op) => op.outcome === 'non-error rejection').map((op) => op.error)).toEqual([]);
    // The crash hit a running load. Calls it failed are not the proof: a statement whose
    // connection died goes once more (docs/guarantees.md), and may then succeed on the new primary.
    expect(lastWindow, 'writes acknowledged in the last moments before the crash').toBeGreaterThan(0);
    for (const op of load.history) if (op.outcome === 'error') expect(op.error).toBeInstanceOf(StoreQueryError);
    expect(checkNoAcknowledgedWriteLost(load.history.slice(fault), finalValues, { from: 'unknown' })).toEqual([]);
    for (const errors of Object.values(cleanupErrors)) for (const error of errors) expect(error).toBeInstanceOf(Error);
    expect(unhandled, 'unhandled rejections').toEqual([]);

    if (synchronous) {
      // Every acknowledged write was on the standby when it took over, and is there at the end.
      expect(lostAtPromotion).toBe(0);
      expect(checkNoAcknowledgedWriteLost(before, atPromotion)).toEqual([]);
      expect(checkNoAcknowledgedWriteLost(load.history, finalValues)).toEqual([]);
    }
    // Asynchronous: what was lost is reported above; how much depends on the moment of the crash.
  });
});

describe('which host postgres.js takes from a multi-host URL', () => {
  it('target_session_attrs=primary skips a hot standby; read-write does not (postgres.js 3.4 on PostgreSQL 14+)', async () => {
    const { primary, standby } = await replicatedPair(false);
    const hostFor = async (attrs: string) => {
      // The standby first, so only the attribute can steer postgres.js away from it.
      const sql = postgres(`postgres://postgres@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres?target_session_attrs=${attrs}`, {
        max: 1,
        onnotice: () => {},
      });
      try {
        const [row] = await sql<Array<{ port: number }>>`SELECT inet_server_port() AS port`;
        return row!.port;
      } finally {
        await sql.end();
      }
    };
    expect(await hostFor('primary')).toBe(primary.port);
    // postgres.js reads only default_transaction_read_only from what the server reports at
    // startup, and a standby reports it off. If this fails, postgres.js has changed: the
    // scaling docs, which say to use `primary`, may then allow `read-write` too.
    expect(await hostFor('read-write')).toBe(standby.port);
  });
});
