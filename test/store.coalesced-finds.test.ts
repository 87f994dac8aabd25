import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashToken, PGStore, StoreQueryError, type SessionDatabase } from '../src/index.js';
import { BACKENDS, databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { countedStores, MANY_TOKENS, ONE_TOKEN_FIND, StatementLog } from './support/counting-db.js';
import { insertRows } from './support/sql.js';

const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : bytes);
const bytes = (value: string) => new TextEncoder().encode(value);
const inOneHour = () => new Date(Date.now() + 3_600_000);
const CALLERS = 32;

describe.each(BACKENDS)('coalesced finds on $name', ({ open }) => {
  let backend: Backend;
  const counted = countedStores(() => backend);
  const newStore = counted.open;

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(async () => {
    await backend.query('TRUNCATE sessions');
    // live1..live20 for an hour; dead1..dead5 expired a minute ago.
    await insertRows(backend, 'sessions', 20, 3600, 'live');
    await insertRows(backend, 'sessions', 5, -60, 'dead');
  });
  afterEach(() => counted.closeAll());

  /** Live, expired, missing and duplicate tokens, in one list. */
  const mixedTokens = () =>
    Array.from({ length: CALLERS }, (_, i) => ['live' + ((i % 20) + 1), 'dead' + ((i % 5) + 1), `missing${i}`, 'live1'][i % 4]!);
  const expected = (token: string) => (token.startsWith('live') ? `data ${token.slice(4)}` : null);

  it('sends a lone find at once, through the single-token statement', async () => {
    const store = newStore();
    expect(text(await store.find('live3'))).toBe('data 3');
    expect(await store.find('missing')).toBeNull();
    expect(counted.log.statements).toHaveLength(2);
    expect(counted.log.matching(ONE_TOKEN_FIND)).toHaveLength(2);
    expect(counted.log.matching(MANY_TOKENS)).toHaveLength(0);
  });

  it('answers concurrent finds of live, expired, missing and duplicate tokens each rightly, in fewer statements', async () => {
    const store = newStore();
    const tokens = mixedTokens();
    const found = await Promise.all(tokens.map((token) => store.find(token)));
    expect(found.map(text)).toEqual(tokens.map(expected));
    expect(counted.log.statements.length).toBeLessThanOrEqual(4);
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
  });

  it('gives findWithExpiry callers in a batch the expiry the row has', async () => {
    const store = newStore();
    const [row] = await backend.query<{ ms: number | string }>(
      `SELECT floor(extract(epoch FROM expiry) * 1000)::float8 AS ms FROM sessions WHERE token = $1`,
      [hashToken('live2')],
    );
    // Six at once: over the few that would each go alone, so they go as two batches of three.
    const [plain, withExpiry, missing, ...others] = await Promise.all([
      store.find('live2'),
      store.findWithExpiry('live2'),
      store.findWithExpiry('dead1'),
      store.find('live3'),
      store.find('live4'),
      store.find('live5'),
    ]);
    expect(text(plain)).toBe('data 2');
    expect(text(withExpiry?.data)).toBe('data 2');
    expect(withExpiry?.expiry.getTime()).toBe(Number(row!.ms));
    expect(missing).toBeNull();
    expect(others.map(text)).toEqual(['data 3', 'data 4', 'data 5']);
    expect(counted.log.matching(MANY_TOKENS)).toHaveLength(2);
    expect(counted.log.matching(ONE_TOKEN_FIND)).toHaveLength(0);
  });

  it('sends each of four finds at once alone: merging so few would only make each wait for the others', async () => {
    const store = newStore();
    const found = await Promise.all(['live1', 'live2', 'dead1', 'missing'].map((token) => store.find(token)));
    expect(found.map(text)).toEqual(['data 1', 'data 2', null, null]);
    expect(counted.log.matching(ONE_TOKEN_FIND)).toHaveLength(4);
    expect(counted.log.matching(MANY_TOKENS)).toHaveLength(0);
  });

  it('gives each caller of a duplicate token bytes of its own', async () => {
    const store = newStore();
    const found = await Promise.all(Array.from({ length: 8 }, () => store.find('live7')));
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
    found[0]![0] = 0;
    found[1]!.fill(1);
    for (const other of found.slice(2)) expect(text(other)).toBe('data 7');
  });

  it('sees every write that resolved before the find started, under a load of other finds', async () => {
    const store = newStore();
    let loading = true;
    // Other callers keep finds in flight the whole time, so each find below queues behind them.
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (loading) await store.find('rw');
      }),
    );
    try {
      for (let round = 0; round < 40; round++) {
        await store.save('rw', bytes(`v${round}`), inOneHour());
        expect(text(await store.find('rw'))).toBe(`v${round}`);
        expect(text((await store.findWithExpiry('rw'))?.data)).toBe(`v${round}`);
        if (round % 4 === 3) {
          await store.delete('rw');
          expect(await store.find('rw')).toBeNull();
        }
      }
    } finally {
      loading = false;
      await load;
    }
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
  });

  it('keys a batch by token hashes with hashTokens', async () => {
    const store = newStore({ hashTokens: true });
    await Promise.all(['h1', 'h2', 'h3'].map((token) => store.save(token, bytes(token), inOneHour())));
    // A stored key is no token: the hash of one finds nothing.
    const found = await Promise.all(['h1', 'h2', 'h3', hashToken('live1'), 'h2'].map((token) => store.find(token)));
    expect(found.map(text)).toEqual(['h1', 'h2', 'h3', null, 'h2']);
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
    const keys = await backend.query<{ token: string }>(`SELECT token FROM sessions WHERE token = $1`, [hashToken('h2')]);
    expect(keys).toHaveLength(1);
  });

  it('coalesces with prepared statements off, as behind PgBouncer', async () => {
    const store = newStore({ preparedStatements: false });
    const tokens = mixedTokens();
    expect((await Promise.all(tokens.map((token) => store.find(token)))).map(text)).toEqual(tokens.map(expected));
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
    expect(counted.log.statements.length).toBeLessThan(CALLERS);
  });

  it('sends one statement per find with coalesceFinds: false', async () => {
    const store = newStore({ coalesceFinds: false });
    const tokens = mixedTokens();
    expect((await Promise.all(tokens.map((token) => store.find(token)))).map(text)).toEqual(tokens.map(expected));
    expect(counted.log.statements).toHaveLength(CALLERS);
    expect(counted.log.matching(MANY_TOKENS)).toHaveLength(0);
  });

  it('refuses a coalesceFinds that is not a boolean, naming it', () => {
    expect(() => new PGStore(backend.db, { cleanupInterval: 0, coalesceFinds: 'no' as unknown as boolean })).toThrow(
      /coalesceFinds must be a boolean, got string "no"/,
    );
  });

  it('rejects each caller of a failed batch with the driver error as cause, naming no token, and works again after', async () => {
    const store = newStore();
    await backend.query('ALTER TABLE sessions RENAME TO sessions_away');
    const tokens = Array.from({ length: CALLERS }, (_, i) => `secret-token-${i}-abcdef`);
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await Promise.allSettled(tokens.map((token, i) => (i % 2 ? store.find(token) : store.findWithExpiry(token))));
    } finally {
      await backend.query('ALTER TABLE sessions_away RENAME TO sessions');
    }
    expect(counted.log.matching(MANY_TOKENS).length).toBeGreaterThan(0);
    outcomes.forEach((outcome, i) => {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as StoreQueryError;
      expect(error).toBeInstanceOf(StoreQueryError);
      expect(error.method).toBe(i % 2 ? 'find' : 'findWithExpiry');
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.code).toBe('42P01');
      const shown = `${error.message}\n${error.stack}\n${error.cause.message}\n${error.cause.stack}`;
      for (const token of tokens) expect(shown).not.toContain(token);
    });
    expect(text(await store.find('live1'))).toBe('data 1');
    const again = await Promise.all(['live1', 'live2', 'missing'].map((token) => store.find(token)));
    expect(again.map(text)).toEqual(['data 1', 'data 2', null]);
  });
});

/** Drivers on a schema of their own, ended without waiting on a connection the test killed. */
const killable: Array<[string, (schema: string, log: StatementLog) => { db: SessionDatabase; end(): Promise<void> }]> = [
  [
    'node-postgres',
    (schema, log) => {
      const pool = new pg.Pool({ connectionString: databaseUrl(), max: 10, options: `-c search_path=${schema}` });
      return { db: drizzleNodePostgres(pool, { logger: log }), end: () => pool.end() };
    },
  ],
  [
    'postgres.js',
    (schema, log) => {
      const client = postgres(databaseUrl(), { max: 10, onnotice: () => {}, connection: { search_path: schema } });
      // postgres.js's end() waits forever once one of its connections was terminated mid-query.
      return { db: drizzlePostgresJs(client, { logger: log }), end: () => client.end({ timeout: 1 }) };
    },
  ],
];

describe.each(killable)('a coalesced find whose server connection dies (%s)', (_name, connect) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openNodePostgres();
    await insertRows(backend, 'sessions', 20, 3600, 'live');
  });
  afterAll(() => backend?.close());

  it('sends the batch on it once more, on a live connection: every caller gets its row', async () => {
    const log = new StatementLog();
    const driver = connect(backend.schema, log);
    const store = new PGStore(driver.db, { cleanupInterval: 0 });
    const table = `"${backend.schema}".sessions`;
    // Holds the table, so the batches wait in the server where one of them can be killed.
    const locker = new pg.Client({ connectionString: databaseUrl() });
    await locker.connect();
    try {
      await locker.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const tokens = Array.from({ length: CALLERS }, (_, i) => `live${(i % 20) + 1}`);
      const outcomes = Promise.allSettled(tokens.map((token) => store.find(token)));
      const waiting = async () =>
        (
          await locker.query<{ pid: number }>(`SELECT pid FROM pg_locks WHERE relation = $1::regclass AND NOT granted ORDER BY pid`, [
            table,
          ])
        ).rows;
      await vi.waitFor(async () => expect((await waiting()).length === log.statements.length).toBe(true), { timeout: 10_000, interval: 20 });
      expect(log.matching(MANY_TOKENS).length).toBeGreaterThan(1);
      const [victim] = await waiting();
      const sentBefore = log.matching(MANY_TOKENS).length;
      await locker.query('SELECT pg_terminate_backend($1)', [victim!.pid]);
      await locker.query('ROLLBACK');
      const settled = await outcomes;

      // A find is safe to send again, so the killed batch went once more (see docs/guarantees.md).
      expect(settled.map((outcome) => outcome.status)).toEqual(tokens.map(() => 'fulfilled'));
      settled.forEach((outcome, i) => expect(text((outcome as PromiseFulfilledResult<Uint8Array | null>).value)).toBe(expected(tokens[i]!)));
      expect(log.matching(MANY_TOKENS).length).toBeGreaterThan(sentBefore);
      const again = await Promise.all(tokens.slice(0, 6).map((token) => store.find(token)));
      expect(again.map(text)).toEqual(tokens.slice(0, 6).map(expected));
    } finally {
      await locker.end();
      await store.close();
      await driver.end();
    }
  });

  const expected = (token: string) => `data ${token.slice(4)}`;
});
