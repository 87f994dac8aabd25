import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGStore } from '../src/index.js';
import { databaseUrl, openNodePostgres, type Backend } from './support/backends.js';
import { inOneHour } from './support/values.js';

/** One acknowledged call on one token: what it did, what it saw, and when it ran. */
interface Call {
  kind: 'save' | 'find' | 'delete' | 'replace';
  /** What a save or replace wrote, or what a find read; null is "no session". */
  value: string | null;
  /** A replace's: the value it expected, and whether it said it replaced it. */
  expected?: string;
  replaced?: boolean;
  invokedAt: number;
  respondedAt: number;
}

/**
 * Whether some serial order of the calls on one token explains them, keeping real-time
 * order (a call that responded before another was invoked comes first): each token is a
 * register that saves write, deletes clear, finds read and replaces compare-and-swap (one that
 * said true found its expected value and wrote; one that said false found another). A depth-first search over
 * which pending call takes effect next (Wing and Gong's method, with Lowe's memo of
 * states already tried). Returns a serial order, or null when there is none.
 */
function linearize(calls: Call[]): Call[] | null {
  const sorted = [...calls].sort((a, b) => a.invokedAt - b.invokedAt);
  const done = new Array<boolean>(sorted.length).fill(false);
  const order: Call[] = [];
  const tried = new Set<string>();

  const search = (value: string | null): boolean => {
    if (order.length === sorted.length) return true;
    const key = `${done.map((d) => (d ? 1 : 0)).join('')}|${value}`;
    if (tried.has(key)) return false;
    tried.add(key);
    // A call may go next only if it was invoked before every pending call responded.
    let firstResponse = Infinity;
    for (let i = 0; i < sorted.length; i++) if (!done[i]) firstResponse = Math.min(firstResponse, sorted[i]!.respondedAt);
    for (let i = 0; i < sorted.length && sorted[i]!.invokedAt <= firstResponse; i++) {
      const call = sorted[i]!;
      if (done[i]) continue;
      if (call.kind === 'find' && call.value !== value) continue;
      if (call.kind === 'replace' && (value === call.expected) !== call.replaced) continue;
      done[i] = true;
      order.push(call);
      const next = call.kind === 'save' || (call.kind === 'replace' && call.replaced) ? call.value : call.kind === 'delete' ? null : value;
      if (search(next)) return true;
      order.pop();
      done[i] = false;
    }
    return false;
  };
  return search(null) ? order : null;
}

describe('the linearizability checker', () => {
  const call = (kind: Call['kind'], value: string | null, invokedAt: number, respondedAt: number): Call => ({
    kind,
    value,
    invokedAt,
    respondedAt,
  });

  it('accepts either order of overlapping calls', () => {
    expect(linearize([call('save', 'a', 0, 10), call('find', 'a', 5, 6)])).not.toBeNull();
    expect(linearize([call('save', 'a', 0, 10), call('find', null, 5, 6)])).not.toBeNull();
  });

  it('refuses a stale read, a read of nothing written, and a lost delete', () => {
    expect(linearize([call('save', 'a', 0, 1), call('save', 'b', 2, 3), call('find', 'a', 4, 5)])).toBeNull();
    expect(linearize([call('find', 'x', 0, 1)])).toBeNull();
    expect(linearize([call('save', 'a', 0, 1), call('delete', null, 2, 3), call('find', 'a', 4, 5)])).toBeNull();
  });

  it('lets two overlapping saves land in either order, but only in one', () => {
    const saves = [call('save', 'a', 0, 10), call('save', 'b', 0, 10)];
    expect(linearize([...saves, call('find', 'a', 1, 2), call('find', 'b', 3, 4)])).not.toBeNull();
    expect(linearize([...saves, call('find', 'b', 1, 2), call('find', 'a', 3, 4)])).not.toBeNull();
    expect(linearize([...saves, call('find', 'a', 1, 2), call('find', 'b', 3, 4), call('find', 'a', 5, 6)])).toBeNull();
    // Once both have responded, the value is settled.
    expect(linearize([...saves, call('find', 'a', 11, 12), call('find', 'b', 13, 14)])).toBeNull();
  });

  it('holds a replace to what the register held: true only on its expected value, false only on another', () => {
    const swap = (expected: string, value: string, replaced: boolean, at: number): Call => ({
      kind: 'replace',
      value,
      expected,
      replaced,
      invokedAt: at,
      respondedAt: at + 1,
    });
    expect(linearize([call('save', 'a', 0, 1), swap('a', 'b', true, 2), call('find', 'b', 4, 5)])).not.toBeNull();
    expect(linearize([call('save', 'a', 0, 1), swap('x', 'b', true, 2)])).toBeNull();
    expect(linearize([call('save', 'a', 0, 1), swap('a', 'b', false, 2)])).toBeNull();
    expect(linearize([call('save', 'a', 0, 1), swap('x', 'b', false, 2), call('find', 'a', 4, 5)])).not.toBeNull();
    // Two swaps of one value, one after the other: the second cannot win too.
    expect(linearize([call('save', 'a', 0, 1), swap('a', 'b', true, 2), swap('a', 'c', true, 4)])).toBeNull();
  });
});

describe('several stores, each with its own pool, on one table', () => {
  const STORES = 4;
  const WORKERS_PER_STORE = 6;
  const CALLS_PER_WORKER = 40;
  const TOKENS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];

  let backend: Backend;
  const pools: pg.Pool[] = [];
  const stores: PGStore[] = [];
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  beforeAll(async () => {
    backend = await openNodePostgres();
    for (let i = 0; i < STORES; i++) {
      const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4, options: `-c search_path=${backend.schema}` });
      pools.push(pool);
      stores.push(new PGStore(drizzle(pool), { cleanupInterval: 0, cleanupBatchSize: 7 }));
    }
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(pools.map((pool) => pool.end()));
    await backend?.close();
  });

  it('end hundreds of interleaved calls without errors or deadlocks, in a state some serial order explains', async () => {
    const history = new Map<string, Call[]>(TOKENS.map((token) => [token, []]));
    const errors: unknown[] = [];

    const worker = async (store: PGStore, id: number) => {
      for (let n = 0; n < CALLS_PER_WORKER; n++) {
        // A spread of calls and tokens that differs per worker but is the same every run.
        const token = TOKENS[(id * 7 + n * 3) % TOKENS.length]!;
        const roll = (id * 13 + n * 5) % 10;
        const kind: Call['kind'] = roll < 3 ? 'save' : roll < 6 ? 'find' : roll < 8 ? 'replace' : 'delete';
        const written = `${id}:${n}`;
        const invokedAt = performance.now();
        try {
          let value: string | null = null;
          if (kind === 'replace') {
            // A read-modify-write, as a commit is: a find, then a replace expecting what it read.
            const found = await store.find(token);
            const read = found === null ? null : decoder.decode(found);
            const readAt = performance.now();
            history.get(token)!.push({ kind: 'find', value: read, invokedAt, respondedAt: readAt });
            if (read === null) continue;
            const replaced = await store.replace(token, found!, encoder.encode(written), inOneHour());
            history.get(token)!.push({ kind, value: written, expected: read, replaced, invokedAt: readAt, respondedAt: performance.now() });
            continue;
          }
          if (kind === 'save') {
            await store.save(token, encoder.encode(written), inOneHour());
            value = written;
          } else if (kind === 'find') {
            const found = await store.find(token);
            value = found === null ? null : decoder.decode(found);
          } else {
            await store.delete(token);
          }
          history.get(token)!.push({ kind, value, invokedAt, respondedAt: performance.now() });
        } catch (error) {
          errors.push(error);
        }
      }
    };

    // Meanwhile every store cleans expired rows that others keep writing, so the batched
    // DELETE … FOR UPDATE SKIP LOCKED runs among the upserts.
    let cleaning = true;
    const cleaner = async (store: PGStore, id: number) => {
      for (let n = 0; cleaning; n++) {
        try {
          await store.save(`expired-${id}-${n % 20}`, encoder.encode('x'), new Date(Date.now() - 60_000));
          await store.deleteExpired();
        } catch (error) {
          errors.push(error);
        }
      }
    };

    const cleaners = stores.map((store, i) => cleaner(store, i));
    await Promise.all(
      stores.flatMap((store, s) => Array.from({ length: WORKERS_PER_STORE }, (_, w) => worker(store, s * WORKERS_PER_STORE + w))),
    );
    cleaning = false;
    await Promise.all(cleaners);

    // A last read of each token, after everything, belongs to the history too.
    for (const token of TOKENS) {
      const invokedAt = performance.now();
      const found = await stores[0]!.find(token);
      history.get(token)!.push({
        kind: 'find',
        value: found === null ? null : decoder.decode(found),
        invokedAt,
        respondedAt: performance.now(),
      });
    }

    expect(errors).toEqual([]);
    const calls = [...history.values()].flat();
    // A replace is two calls (its find, then itself) unless the find saw no session.
    const replaces = calls.filter((c) => c.kind === 'replace').length;
    expect(calls).toHaveLength(STORES * WORKERS_PER_STORE * CALLS_PER_WORKER + TOKENS.length + replaces);
    // The calls really interleaved: on some token, a call began before another had ended.
    const overlapping = [...history.values()].some((tokenCalls) =>
      tokenCalls.some((a) => tokenCalls.some((b) => a !== b && a.invokedAt < b.invokedAt && b.invokedAt < a.respondedAt)),
    );
    expect(overlapping).toBe(true);
    expect(calls.filter((c) => c.kind === 'find' && c.value !== null).length).toBeGreaterThan(0);
    // Replaces both won and lost.
    expect(new Set(calls.filter((c) => c.kind === 'replace').map((c) => c.replaced))).toEqual(new Set([true, false]));
    for (const [token, tokenCalls] of history) {
      expect(linearize(tokenCalls), `calls on ${token}`).not.toBeNull();
    }
  });
});
