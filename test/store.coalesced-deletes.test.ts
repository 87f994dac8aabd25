import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, PGStore } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { countedStores, triggerRejections } from './support/counting-db.js';
import { countRows, insertRows } from './support/sql.js';
import { bytes, inOneHour } from './support/values.js';

/** The statement of coalesced deletes: one over an array of tokens. */
const MANY_DELETED = /^delete from "sessions" where "sessions"\."token" = any\(/;
/** The single-token delete. */
const ONE_DELETED = /^delete from "sessions" where "sessions"\."token" = \$1$/;
const CALLERS = 32;

describe.each(BACKENDS)('coalesced deletes on $name', ({ open }) => {
  let backend: Backend;
  const counted = countedStores(() => backend);
  const newStore = counted.open;
  const tokensLeft = async () =>
    (await backend.query<{ token: string }>('SELECT token FROM sessions ORDER BY token')).map((row) => row.token);

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(async () => {
    await backend.query('TRUNCATE sessions');
    // live1..live40 for an hour; dead1..dead5 expired a minute ago.
    await insertRows(backend, 'sessions', 40, 3600, 'live');
    await insertRows(backend, 'sessions', 5, -60, 'dead');
  });
  afterEach(() => counted.closeAll());

  it('sends a lone delete at once, through the single-token statement', async () => {
    const store = newStore();
    await store.delete('live1');
    await store.delete('missing');
    expect(counted.log.matching(ONE_DELETED)).toHaveLength(2);
    expect(counted.log.statements).toHaveLength(2);
    expect(await countRows(backend)).toBe(44);
  });

  it('deletes concurrent live, expired, missing and duplicate tokens in fewer statements, and nothing else', async () => {
    const store = newStore();
    const tokens = Array.from({ length: CALLERS }, (_, i) => ['live' + ((i % 16) + 1), 'dead' + ((i % 5) + 1), `missing${i}`, 'live1'][i % 4]!);
    const settled = await Promise.allSettled(tokens.map((token) => store.delete(token)));
    expect(settled.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    expect(counted.log.matching(MANY_DELETED).length).toBeGreaterThan(0);
    expect(counted.log.statements.length).toBeLessThanOrEqual(4);
    const deleted = new Set(tokens);
    const expected = [
      ...Array.from({ length: 40 }, (_, i) => `live${i + 1}`),
      ...Array.from({ length: 5 }, (_, i) => `dead${i + 1}`),
    ].filter((token) => !deleted.has(token));
    expect(await tokensLeft()).toEqual(expected.map(hashToken).sort());
  });

  it('lets a find that starts after a delete resolved miss it, under a load of other deletes', async () => {
    const store = newStore();
    let loading = true;
    // Other callers keep deletes in flight the whole time, so each delete below queues behind them.
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (loading) await store.delete(`load${i}`);
      }),
    );
    try {
      for (let round = 0; round < 30; round++) {
        await store.save('rw', bytes(`v${round}`), inOneHour());
        await store.delete('rw');
        expect(await store.find('rw')).toBeNull();
      }
    } finally {
      loading = false;
      await load;
    }
    expect(counted.log.matching(MANY_DELETED).length).toBeGreaterThan(0);
  });

  it('keys a batch by token hashes with hashTokens', async () => {
    const store = newStore({ hashTokens: true });
    const tokens = Array.from({ length: 8 }, (_, i) => `h${i}`);
    await Promise.all(tokens.map((token) => store.save(token, bytes(token), inOneHour())));
    counted.log.reset();
    await Promise.all(tokens.slice(0, 6).map((token) => store.delete(token)));
    expect(counted.log.matching(MANY_DELETED).length).toBeGreaterThan(0);
    const left = await tokensLeft();
    expect(left).toContain(hashToken('h6'));
    expect(left).toContain(hashToken('h7'));
    expect(left).not.toContain(hashToken('h0'));
    expect(left).toHaveLength(47);
  });

  it('coalesces with prepared statements off, as behind PgBouncer', async () => {
    const store = newStore({ preparedStatements: false });
    await Promise.all(Array.from({ length: CALLERS }, (_, i) => store.delete(`live${i + 1}`)));
    expect(counted.log.matching(MANY_DELETED).length).toBeGreaterThan(0);
    expect(counted.log.statements.length).toBeLessThan(CALLERS);
    expect(await countRows(backend)).toBe(45 - CALLERS);
  });

  it('sends one statement per delete with coalesceDeletes: false', async () => {
    const store = newStore({ coalesceDeletes: false });
    await Promise.all(Array.from({ length: CALLERS }, (_, i) => store.delete(`live${i + 1}`)));
    expect(counted.log.matching(ONE_DELETED)).toHaveLength(CALLERS);
    expect(counted.log.statements).toHaveLength(CALLERS);
    expect(await countRows(backend)).toBe(45 - CALLERS);
  });

  it('refuses a coalesceDeletes that is not a boolean, naming it', () => {
    expect(() => new PGStore(backend.db, { cleanupInterval: 0, coalesceDeletes: 'yes' as unknown as boolean })).toThrow(
      /coalesceDeletes must be a boolean, got string/,
    );
  });

  it('keeps bad input out of a batch: only that caller is refused', async () => {
    const store = newStore();
    const settled = await Promise.allSettled([
      ...Array.from({ length: 6 }, (_, i) => store.delete(`live${i + 1}`)),
      store.delete(42 as unknown as string),
      store.delete('live7'),
    ]);
    expect(settled.map((outcome) => outcome.status)).toEqual([...Array(6).fill('fulfilled'), 'rejected', 'fulfilled']);
    expect((settled[6] as PromiseRejectedResult).reason).toBeInstanceOf(TypeError);
    expect(await countRows(backend)).toBe(45 - 7);
  });

  it('rejects each caller of a failed batch with a StoreQueryError naming none of the batch’s tokens, and works after', async () => {
    const store = newStore();
    // One row the database refuses to delete, with a message quoting its key, fails its whole batch.
    await backend.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.token = '${hashToken('secret-poison-token-5')}' THEN RAISE EXCEPTION 'refused to delete %', OLD.token; END IF;
        RETURN OLD;
      END $$`);
    await backend.query(`CREATE TRIGGER refuse_poison BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    const tokens = Array.from({ length: 8 }, (_, i) => (i === 5 ? 'secret-poison-token-5' : `secret-token-${i}-abcdef`));
    let settled: PromiseSettledResult<void>[];
    try {
      await Promise.all(tokens.map((token) => store.save(token, bytes('x'), inOneHour())));
      counted.log.reset();
      settled = await Promise.allSettled(tokens.map((token) => store.delete(token)));
    } finally {
      await backend.query('DROP TRIGGER refuse_poison ON sessions');
      await backend.query('DROP FUNCTION refuse_poison()');
    }
    expect(counted.log.matching(MANY_DELETED).length).toBeGreaterThan(0);
    for (const shown of triggerRejections(settled, 'delete')) {
      expect(shown).toContain('refused to delete [redacted]');
      for (const secret of tokens) {
        expect(shown).not.toContain(secret);
        expect(shown).not.toContain(hashToken(secret));
      }
    }
    // The failed batch deleted nothing; the next deletes work.
    const left = await tokensLeft();
    for (const [i, outcome] of settled.entries()) if (outcome.status === 'rejected') expect(left).toContain(hashToken(tokens[i]!));
    await Promise.all(tokens.map((token) => store.delete(token)));
    for (const token of tokens) expect(await store.find(token)).toBeNull();
  });
});
