import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, type PGStoreOptions } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { countedStores, triggerRejections, type StatementLog } from './support/counting-db.js';
import { addOwnerColumn, ownedSessions } from './support/owned-sessions.js';
import { bytes, inOneHour } from './support/values.js';

/** A big session: 1 MiB, which no compare should have to send. */
const BIG = 1024 * 1024;
/** The compare-and-swap of one row, and that of many (coalesced). */
const ONE_SWAP = /^update "sessions" set .* where \("sessions"\."token" = \$\d+ and .* sha256\("sessions"\."data"\) = \$\d+\)/;
const MANY_SWAPS = /^update "sessions" set .* from unnest\(/;
const FIND = /^select /;
const CALLERS = 32;

const text = (data: Uint8Array | null | undefined) => (data ? new TextDecoder().decode(data) : data);
/** 1 MiB of `fill`, its last byte `last`: two of them differ only at the end. */
const big = (fill: number, last = fill) => {
  const data = new Uint8Array(BIG).fill(fill);
  data[BIG - 1] = last;
  return data;
};
/** The bytes a statement's parameters carry, as the driver was given them. */
const sentBytes = (params: readonly unknown[]) =>
  params.reduce<number>((sum, p) => sum + (p instanceof Uint8Array ? p.byteLength : typeof p === 'string' ? p.length : 0), 0);
/** The bytes each compare-and-swap statement sent. */
const swapBytes = (log: StatementLog) =>
  log.statements.flatMap((statement, i) => (ONE_SWAP.test(statement) ? [sentBytes(log.params[i]!)] : []));

describe.each(BACKENDS)('replace (compare-and-swap) on $name', ({ open }) => {
  let backend: Backend;
  const counted = countedStores(() => backend);
  const key = randomBytes(32);
  const encrypted: PGStoreOptions = { encryptionKeys: [key] };
  const stored = async (token: string) =>
    Buffer.from((await backend.query<{ data: Uint8Array }>('SELECT data FROM sessions WHERE token = $1', [hashToken(token)]))[0]!.data);

  beforeAll(async () => {
    backend = await open();
    await addOwnerColumn(backend);
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(() => counted.closeAll());

  describe.each([
    { name: 'plain', options: {} },
    { name: 'encrypted', options: encrypted },
  ])('$name', ({ options }) => {
    it('on a 1 MiB row, a replace with the right bytes wins and one with stale bytes loses, sending none of them', async () => {
      const store = counted.open(options);
      await store.save('big', big(1), inOneHour());
      const found = (await store.find('big'))!;
      counted.log.reset();
      // Differs from the row in its last byte only.
      expect(await store.replace('big', big(1, 2), bytes('lost'), inOneHour())).toBe(false);
      expect(Buffer.from((await store.find('big'))!).equals(big(1))).toBe(true);
      counted.log.reset();
      expect(await store.replace('big', found, bytes('small'), inOneHour())).toBe(true);
      expect(text(await store.find('big'))).toBe('small');
      // The compare sent a digest, not the megabyte: each swap carried the token, digest, new data and expiry.
      const sent = swapBytes(counted.log);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toBeLessThan(1024);
      expect(await store.replace('big', found, bytes('again'), inOneHour())).toBe(false);
      expect(text(await store.find('big'))).toBe('small');
    });

    it('swaps a 1 MiB row for another, and the next replace expects the new bytes', async () => {
      const store = counted.open(options);
      await store.save('big2', big(3), inOneHour());
      const first = (await store.findWithExpiry('big2'))!.data;
      const next = big(4);
      expect(await store.replace('big2', first, next, inOneHour())).toBe(true);
      expect(await store.replace('big2', first, big(5), inOneHour())).toBe(false);
      expect(await store.replace('big2', next, big(6), inOneHour())).toBe(true);
      expect(Buffer.from((await store.find('big2'))!).equals(big(6))).toBe(true);
    });

    it('coalesces concurrent replaces, each caller learning whether its own swap won', async () => {
      const store = counted.open(options);
      const tokens = Array.from({ length: CALLERS }, (_, i) => `many-${i}`);
      await Promise.all(tokens.map((token, i) => store.save(token, bytes(`v0 ${i}`), inOneHour())));
      const found = await Promise.all(tokens.map((token) => store.find(token)));
      counted.log.reset();
      // Every third caller expects bytes the row never held.
      const stale = (i: number) => i % 3 === 0;
      const results = await Promise.all(
        tokens.map((token, i) => store.replace(token, stale(i) ? bytes(`old ${i}`) : found[i]!, bytes(`v1 ${i}`), inOneHour())),
      );
      expect(results).toEqual(tokens.map((_, i) => !stale(i)));
      expect(counted.log.matching(MANY_SWAPS).length).toBeGreaterThan(0);
      for (const [i, token] of tokens.entries()) expect(text(await store.find(token))).toBe(stale(i) ? `v0 ${i}` : `v1 ${i}`);
    });

    it('of two replaces of one token called at once expecting the same bytes, the first wins', async () => {
      const store = counted.open(options);
      await Promise.all(['rival', ...Array.from({ length: 8 }, (_, i) => `company-${i}`)].map((t) => store.save(t, bytes('x'), inOneHour())));
      const rival = await store.find('rival');
      counted.log.reset();
      const company = Array.from({ length: 8 }, (_, i) => store.replace(`company-${i}`, bytes('x'), bytes('y'), inOneHour()));
      const calls = [store.replace('rival', rival!, bytes('first'), inOneHour()), store.replace('rival', bytes('x'), bytes('second'), inOneHour())];
      expect(await Promise.all(calls)).toEqual([true, false]);
      expect(await Promise.all(company)).toEqual(Array(8).fill(true));
      expect(text(await store.find('rival'))).toBe('first');
    });

    it('replaces with an owner alone, setting the owner', async () => {
      const store = counted.open({ ...options, table: ownedSessions });
      await store.save('owned', bytes('a'), inOneHour());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.replace('owned', bytes('a'), bytes(`b${i}`), inOneHour(), { owner: `u${i}` })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.sessionsOf(`u${winner}`)).map((s) => text(s.data))).toEqual([`b${winner}`]);
      expect(counted.log.matching(MANY_SWAPS)).toEqual([]);
    });
  });

  describe('plain', () => {
    it('runs replaces of one token called at once in call order, beside a batch', async () => {
      const store = counted.open();
      await Promise.all(['chain', ...Array.from({ length: 8 }, (_, i) => `company-${i}`)].map((t) => store.save(t, bytes('x'), inOneHour())));
      counted.log.reset();
      const company = Array.from({ length: 8 }, (_, i) => store.replace(`company-${i}`, bytes('x'), bytes('y'), inOneHour()));
      // x → y, then y → z: both win, in this order only.
      const calls = [store.replace('chain', bytes('x'), bytes('y'), inOneHour()), store.replace('chain', bytes('y'), bytes('z'), inOneHour())];
      expect(await Promise.all(calls)).toEqual([true, true]);
      expect(await Promise.all(company)).toEqual(Array(8).fill(true));
      expect(text(await store.find('chain'))).toBe('z');
      expect(counted.log.matching(MANY_SWAPS).length).toBeGreaterThan(0);
    });
  });

  describe('plain, failing', () => {
    it('rejects each caller of a failed batch with a StoreQueryError naming none of the batch’s tokens, keys or data', async () => {
      const store = counted.open();
      const tokens = Array.from({ length: 8 }, (_, i) => `secret-token-${i}-abcdef`);
      const old = tokens.map((_, i) => bytes(`private old data ${i}`));
      const next = tokens.map((_, i) => bytes(i === 5 ? 'private poison data' : `private new data ${i}`));
      await Promise.all(tokens.map((token, i) => store.save(token, old[i]!, inOneHour())));
      // One row the database refuses, with a message quoting its key and data, fails its whole batch.
      await backend.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF convert_from(NEW.data, 'UTF8') LIKE '%poison%' THEN
            RAISE EXCEPTION 'refused % with % (%) over %', NEW.token, convert_from(NEW.data, 'UTF8'), NEW.data, convert_from(OLD.data, 'UTF8');
          END IF;
          RETURN NEW;
        END $$`);
      await backend.query('CREATE TRIGGER refuse_poison BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
      let settled: PromiseSettledResult<boolean>[];
      try {
        settled = await Promise.allSettled(tokens.map((token, i) => store.replace(token, old[i]!, next[i]!, inOneHour())));
      } finally {
        await backend.query('DROP TRIGGER refuse_poison ON sessions');
        await backend.query('DROP FUNCTION refuse_poison()');
      }
      expect(counted.log.matching(MANY_SWAPS).length).toBeGreaterThan(0);
      for (const shown of triggerRejections(settled, 'replace')) {
        expect(shown).toContain('refused [redacted] with [redacted] ([redacted]) over [redacted]');
        for (const secret of [...tokens, ...tokens.map(hashToken)]) expect(shown).not.toContain(secret);
        for (const bytesOf of [...old, ...next]) {
          expect(shown).not.toContain(text(bytesOf));
          expect(shown).not.toContain(Buffer.from(bytesOf).toString('hex'));
        }
      }
      // It works after: the batch that failed wrote nothing, the other (if any) wrote its rows.
      const now = (await store.find(tokens[5]!))!;
      expect(text(now)).toBe('private old data 5');
      expect(await store.replace(tokens[5]!, now, bytes('after'), inOneHour())).toBe(true);
    });
  });

  describe('encrypted', () => {
    it('swaps data it handed out with one statement and no read, on a 1 MiB row', async () => {
      const store = counted.open(encrypted);
      await store.save('sealed', big(7), inOneHour());
      const found = (await store.findWithExpiry('sealed'))!.data;
      counted.log.reset();
      expect(await store.replace('sealed', found, big(8), inOneHour())).toBe(true);
      expect(counted.log.statements).toHaveLength(1);
      expect(counted.log.matching(ONE_SWAP)).toHaveLength(1);
      expect((await stored('sealed')).includes(Buffer.alloc(64, 8))).toBe(false);
      expect(Buffer.from((await store.find('sealed'))!).equals(big(8))).toBe(true);
    });

    it('compares what the row opens to when the bytes come from elsewhere, were changed, or were sealed again', async () => {
      // Opened first: `counted.log` follows the store opened last.
      const other = counted.open(encrypted);
      const store = counted.open(encrypted);
      await store.save('elsewhere', bytes('same'), inOneHour());
      // Bytes equal to the row's that this store never handed out: read, opened, compared.
      counted.log.reset();
      expect(await store.replace('elsewhere', bytes('same'), bytes('next'), inOneHour())).toBe(true);
      expect(counted.log.matching(FIND)).toHaveLength(1);
      expect(text(await store.find('elsewhere'))).toBe('next');

      // Data handed out, then changed by its caller: it no longer matches the row.
      const changed = (await store.find('elsewhere'))!;
      changed[0] = 'N'.charCodeAt(0);
      expect(await store.replace('elsewhere', changed, bytes('lost'), inOneHour())).toBe(false);
      expect(text(await store.find('elsewhere'))).toBe('next');

      // Another writer stores the same data again, sealed afresh: the data is still what was read.
      const read = (await store.find('elsewhere'))!;
      await other.save('elsewhere', bytes('next'), inOneHour());
      expect(await store.replace('elsewhere', read, bytes('after'), inOneHour())).toBe(true);
      expect(text(await store.find('elsewhere'))).toBe('after');

      // A different value since: the old data loses.
      const before = (await store.find('elsewhere'))!;
      await other.save('elsewhere', bytes('changed'), inOneHour());
      expect(await store.replace('elsewhere', before, bytes('lost'), inOneHour())).toBe(false);
      expect(text(await store.find('elsewhere'))).toBe('changed');
      expect(await store.replace('gone', before, bytes('lost'), inOneHour())).toBe(false);
    });
  });
});
