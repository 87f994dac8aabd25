import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashToken, PGStore } from '../src/index.js';
import { BACKENDS, databaseUrl, openNodePostgres, openPostgresJs, type Backend } from './support/backends.js';
import { countedStores, countingDb, triggerRejections } from './support/counting-db.js';
import { addOwnerColumn, ownedSessions } from './support/owned-sessions.js';
import { bytes, inOneHour } from './support/values.js';

/** The statement of coalesced saves: one upsert over arrays. */
const MANY_ROWS = /unnest\(/;
/** The single-row save (without an owner). */
const ONE_ROW_SAVE = /^insert into "sessions" \("token", "data", "expiry"\) values/;
const CALLERS = 32;

const text = (data: Uint8Array | null | undefined) => (data ? new TextDecoder().decode(data) : data);
/** Bytes that need escaping in every encoding: NUL, backslash, quote, braces, comma, high bytes. */
const awkward = (i: number) => Uint8Array.from([0, 92, 34, 123, 125, 44, 255, 128, i]);
/** Fixed once, so that a second ticking over between a save and its check never moves the expected expiry. */
const EXPIRY_BASE = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;
/** An expiry with milliseconds, distinct per caller. */
const expiryOf = (i: number) => new Date(EXPIRY_BASE + i * 1001 + 7);

describe.each(BACKENDS)('coalesced saves on $name', ({ open }) => {
  let backend: Backend;
  const counted = countedStores(() => backend);
  const newStore = counted.open;
  /** The stored data and expiry (epoch ms) of a row, by its key as stored. */
  const storedRow = async (key: string) =>
    (
      await backend.query<{ data: Uint8Array; ms: number | string; owner: string | null }>(
        `SELECT data, floor(extract(epoch FROM expiry) * 1000)::float8 AS ms, owner FROM sessions WHERE token = $1`,
        [key],
      )
    )[0];
  /** The row of a token, as a default store (which hashes tokens) keeps it. */
  const row = (token: string) => storedRow(hashToken(token));

  beforeAll(async () => {
    backend = await open();
    // The table has the owner column: plain stores write it as the shipped table, owned ones set it.
    await addOwnerColumn(backend);
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(() => counted.closeAll());

  it('sends a lone save at once, through the single-row statement', async () => {
    const store = newStore();
    await store.save('alone', bytes('one'), inOneHour());
    await store.save('alone', bytes('two'), inOneHour());
    expect(counted.log.statements).toHaveLength(2);
    expect(counted.log.matching(ONE_ROW_SAVE)).toHaveLength(2);
    expect(text(await store.find('alone'))).toBe('two');
  });

  it('writes concurrent saves in fewer statements, each row with its own bytes and expiry', async () => {
    const store = newStore();
    const tokens = Array.from({ length: CALLERS }, (_, i) => `token-${i}-"\\{,}`);
    await Promise.all(tokens.map((token, i) => store.save(token, i === 3 ? new Uint8Array(0) : awkward(i), expiryOf(i))));
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    expect(counted.log.statements.length).toBeLessThanOrEqual(4);
    for (const [i, token] of tokens.entries()) {
      const stored = await row(token);
      expect([...stored!.data]).toEqual(i === 3 ? [] : [...awkward(i)]);
      expect(Number(stored!.ms)).toBe(expiryOf(i).getTime());
    }
  });

  it("writes what the caller gave, though the caller changes its bytes and Date while the save waits", async () => {
    const store = newStore();
    const pending = Array.from({ length: CALLERS }, (_, i) => {
      const data = bytes(`kept ${i}`);
      const expiry = expiryOf(i);
      const saved = store.save(`mutable${i}`, data, expiry);
      data.fill(0);
      expiry.setTime(0);
      return saved;
    });
    await Promise.all(pending);
    for (let i = 0; i < CALLERS; i++) {
      const stored = await row(`mutable${i}`);
      expect(text(stored!.data)).toBe(`kept ${i}`);
      expect(Number(stored!.ms)).toBe(expiryOf(i).getTime());
    }
  });

  it('writes the earliest and latest expiries a save accepts, in a batch as alone', async () => {
    const store = newStore();
    const edges = [new Date('0001-01-01T00:00:00.000Z'), new Date('9999-12-31T23:59:59.999Z'), new Date('1969-12-31T23:59:59.999Z')];
    const calls = Array.from({ length: 12 }, (_, i) => ({ token: `edge${i}`, expiry: edges[i % 3]! }));
    await Promise.all(calls.map(({ token, expiry }) => store.save(token, bytes(token), expiry)));
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    for (const { token, expiry } of calls) expect(Number((await row(token))!.ms)).toBe(expiry.getTime());
  });

  it('keeps the last of several saves of one token in a batch, and resolves every caller', async () => {
    const store = newStore();
    // The repeats are among the first eight callers, so they fall in one batch (the first
    // statement takes half the callers); saves of a token in two batches in flight have no
    // order, as two saves on two pool connections have none.
    const calls = Array.from({ length: CALLERS }, (_, i) => (i % 2 || i >= 8 ? `other${i}` : 'twice'));
    const settled = await Promise.allSettled(calls.map((token, i) => store.save(token, bytes(`v${i}`), expiryOf(i))));
    expect(settled.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    const last = calls.lastIndexOf('twice');
    const stored = await row('twice');
    expect(text(stored!.data)).toBe(`v${last}`);
    expect(Number(stored!.ms)).toBe(expiryOf(last).getTime());
    expect(text(await store.find('other31'))).toBe('v31');
  });

  it('writes batches in flight that share tokens, given in any order', async () => {
    const store = newStore();
    const shared = Array.from({ length: 16 }, (_, i) => `shared${i}`);
    for (let round = 0; round < 6; round++) {
      const order = Array.from({ length: 128 }, (_, i) => shared[(round % 2 ? 127 - i : i * 7) % 16]!);
      await Promise.all(order.map((token, i) => store.save(token, bytes(`r${round} ${i}`), inOneHour())));
    }
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(1);
    expect(await store.count()).toBe(16);
  });

  it('lets a find that starts after a save resolved see it, under a load of other saves', async () => {
    const store = newStore();
    let loading = true;
    // Other callers keep saves in flight the whole time, so each save below queues behind them.
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (loading) await store.save(`load${i}`, bytes('load'), inOneHour());
      }),
    );
    try {
      for (let round = 0; round < 30; round++) {
        await store.save('rw', bytes(`v${round}`), inOneHour());
        expect(text(await store.find('rw'))).toBe(`v${round}`);
      }
    } finally {
      loading = false;
      await load;
    }
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
  });

  it('keys a batch by token hashes with hashTokens', async () => {
    const store = newStore({ hashTokens: true });
    const tokens = Array.from({ length: 8 }, (_, i) => `h${i}`);
    await Promise.all(tokens.map((token, i) => store.save(token, bytes(`${token} ${i}`), inOneHour())));
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    expect(text((await storedRow(hashToken('h2')))?.data)).toBe('h2 2');
    expect(await storedRow('h2')).toBeUndefined();
    expect((await Promise.all(['h1', 'h3'].map((token) => store.find(token)))).map(text)).toEqual(['h1 1', 'h3 3']);
  });

  it('sends saves with an owner alone, and keeps the owner of rows a batch without one rewrites', async () => {
    const store = newStore({ table: ownedSessions });
    await store.save('kept', bytes('before'), inOneHour(), { owner: 'alice' });
    await store.save('cleared', bytes('before'), inOneHour(), { owner: 'alice' });
    counted.log.reset();
    await Promise.all([
      store.save('kept', bytes('after'), inOneHour()),
      store.save('new', bytes('new'), inOneHour()),
      store.save('set', bytes('set'), inOneHour(), { owner: 'bob' }),
      store.save('cleared', bytes('after'), inOneHour(), { owner: null }),
      ...Array.from({ length: 8 }, (_, i) => store.save(`plain${i}`, bytes('plain'), inOneHour())),
    ]);
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    expect(counted.log.statements.filter((sql) => MANY_ROWS.test(sql) && /owner/.test(sql.split(' select ')[1]!))).toEqual([]);
    expect(await row('kept')).toMatchObject({ owner: 'alice' });
    expect(text((await row('kept'))?.data)).toBe('after');
    expect(await row('new')).toMatchObject({ owner: null });
    expect(await row('set')).toMatchObject({ owner: 'bob' });
    expect(await row('cleared')).toMatchObject({ owner: null });
    expect((await store.sessionsOf('alice')).map((session) => session.key)).toEqual([hashToken('kept')]);
  });

  it('sends a save of over 64 KiB alone, beside a batch of small ones', async () => {
    const store = newStore();
    const big = Uint8Array.from({ length: 64 * 1024 + 1 }, (_, i) => i % 251);
    await Promise.all([
      store.save('big', big, inOneHour()),
      ...Array.from({ length: 16 }, (_, i) => store.save(`small${i}`, awkward(i), inOneHour())),
    ]);
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    expect(counted.log.matching(ONE_ROW_SAVE)).toHaveLength(1);
    expect(Buffer.compare(Buffer.from((await store.find('big'))!), Buffer.from(big))).toBe(0);
    expect([...(await store.find('small15'))!]).toEqual([...awkward(15)]);
  });

  it('coalesces with prepared statements off, as behind PgBouncer', async () => {
    const store = newStore({ preparedStatements: false });
    await Promise.all(Array.from({ length: CALLERS }, (_, i) => store.save(`np${i}`, awkward(i), expiryOf(i))));
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    expect(counted.log.statements.length).toBeLessThan(CALLERS);
    expect([...(await store.find('np9'))!]).toEqual([...awkward(9)]);
  });

  it('sends one statement per save with coalesceSaves: false', async () => {
    const store = newStore({ coalesceSaves: false });
    await Promise.all(Array.from({ length: CALLERS }, (_, i) => store.save(`off${i}`, bytes('x'), inOneHour())));
    expect(counted.log.statements).toHaveLength(CALLERS);
    expect(counted.log.matching(MANY_ROWS)).toHaveLength(0);
    expect(await store.count()).toBe(CALLERS);
  });

  it('refuses a coalesceSaves that is not a boolean, naming it', () => {
    expect(() => new PGStore(backend.db, { cleanupInterval: 0, coalesceSaves: 1 as unknown as boolean })).toThrow(
      /coalesceSaves must be a boolean, got number 1/,
    );
  });

  it('keeps bad input out of a batch: only that caller is refused, and nothing of it is written', async () => {
    const store = newStore();
    const settled = await Promise.allSettled([
      store.save('good1', bytes('g'), inOneHour()),
      store.save('bad', bytes('b'), new Date(Number.NaN)),
      store.save('good2', bytes('g'), inOneHour()),
    ]);
    expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await row('bad')).toBeUndefined();
    expect(await store.count()).toBe(2);
  });

  it('rejects each caller of a failed batch with a StoreQueryError naming none of the batch’s tokens or data', async () => {
    const store = newStore();
    // One row the database refuses, with a message quoting its key and data, fails its whole batch.
    await backend.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.token = '${hashToken('secret-poison-token-5')}' THEN
          RAISE EXCEPTION 'refused % with % (%)', NEW.token, convert_from(NEW.data, 'UTF8'), NEW.data;
        END IF;
        RETURN NEW;
      END $$`);
    await backend.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    const tokens = Array.from({ length: 8 }, (_, i) => (i === 5 ? 'secret-poison-token-5' : `secret-token-${i}-abcdef`));
    const data = tokens.map((_, i) => bytes(`private session data ${i}`));
    let settled: PromiseSettledResult<void>[];
    try {
      settled = await Promise.allSettled(tokens.map((token, i) => store.save(token, data[i]!, inOneHour())));
    } finally {
      await backend.query('DROP TRIGGER refuse_poison ON sessions');
      await backend.query('DROP FUNCTION refuse_poison()');
    }
    expect(counted.log.matching(MANY_ROWS).length).toBeGreaterThan(0);
    for (const shown of triggerRejections(settled, 'save')) {
      expect(shown).toContain('refused [redacted] with [redacted] ([redacted])');
      for (const secret of tokens) {
        expect(shown).not.toContain(secret);
        expect(shown).not.toContain(hashToken(secret));
      }
      for (const bytesOf of data) {
        expect(shown).not.toContain(text(bytesOf));
        expect(shown).not.toContain(Buffer.from(bytesOf).toString('hex'));
      }
    }
    await Promise.all(['after1', 'after2', 'after3'].map((token) => store.save(token, bytes(token), inOneHour())));
    expect(text(await store.find('after2'))).toBe('after2');
  });
});

describe.each([openNodePostgres, openPostgresJs])('coalesced saves waiting on row locks (%o)', (open) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());

  it('never deadlocks: two batches over the same rows, held up mid-way by a lock, both commit', async () => {
    const counted = countingDb(backend);
    const store = new PGStore(counted.db, { cleanupInterval: 0 });
    const tokens = Array.from({ length: 16 }, (_, i) => `row${String(i).padStart(2, '0')}`);
    await Promise.all(tokens.map((token) => store.save(token, bytes('before'), inOneHour())));
    // Holds a row in the middle, so both batches stop there holding the rows before it.
    const locker = new pg.Client({ connectionString: databaseUrl() });
    await locker.connect();
    try {
      await locker.query(`BEGIN; SELECT 1 FROM "${backend.schema}".sessions WHERE token = '${hashToken('row08')}' FOR UPDATE`);
      counted.log.reset();
      // Each batch gets every token, in an order of its own.
      const calls = [...tokens, ...[...tokens].reverse()];
      const saved = Promise.allSettled(calls.map((token, i) => store.save(token, bytes(`call ${i}`), inOneHour())));
      const waiting = async () =>
        (
          await locker.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%unnest(%'`,
          )
        ).rows[0]!.n;
      await vi.waitFor(async () => expect((await waiting()) === 2).toBe(true), { timeout: 10_000, interval: 20 });
      await locker.query('ROLLBACK');
      const settled = await saved;
      expect(counted.log.matching(MANY_ROWS)).toHaveLength(2);
      expect(settled.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'ok'))).toEqual(calls.map(() => 'ok'));
    } finally {
      await locker.end();
      await store.close();
    }
  });
});
