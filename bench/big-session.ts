/**
 * Concurrent commits on one big session through the SessionManager: `callers` requests load
 * the same session at once, each sets a key of its own and commits. Every commit but one per
 * round loses its compare-and-swap, reads the row again, replays and retries, so the run
 * shows what a compare and a retry cost as the session grows.
 */
import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { defineSessionsTable, PGStore, SessionManager } from '../src/index.js';
import { BENCH_KEY } from './subjects.js';
import { median } from './measure.js';

export interface BigSessionResult {
  /** Bytes of the stored session (its JSON). */
  bytes: number;
  callers: number;
  /** Whether the store had encryptionKeys. */
  encrypted: boolean;
  /** Seconds from the first load to the last commit, each run. */
  runSeconds: number[];
  /** The median of runSeconds. */
  seconds: number;
  /** Keys of the callers found in the session after each run (all `callers` when none was lost). */
  kept: number[];
}

/** A string of about `bytes` bytes that compresses poorly, as a real blob of state would. */
const filler = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);

/** Runs `runs` bursts of `callers` concurrent commits on a fresh session of about `bytes`. */
export async function runBigSession(
  pool: pg.Pool,
  { bytes, callers, runs, encrypted = false }: { bytes: number; callers: number; runs: number; encrypted?: boolean },
): Promise<BigSessionResult> {
  // Tokens hashed, as by default; a session of its own in the bench's table, or in the encrypted one.
  const store = new PGStore(drizzle(pool), {
    cleanupInterval: 0,
    ...(encrypted && { table: defineSessionsTable('sessions_encrypted'), encryptionKeys: [BENCH_KEY] }),
  });
  const manager = new SessionManager<Record<string, unknown>>(store, { cookie: { secure: false } });
  const runSeconds: number[] = [];
  const kept: number[] = [];
  let size = 0;
  try {
    for (let run = 0; run < runs; run++) {
      const first = await manager.load(new Request('http://bench.test/'));
      first.set('blob', filler(bytes));
      const cookie = (await manager.commit(first, new Response('ok'))).headers.get('set-cookie')!.split(';')[0]!;
      const request = () => new Request('http://bench.test/', { headers: { cookie } });
      const started = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async (_, i) => {
          const session = await manager.load(request());
          session.set(`caller${i}`, i);
          await manager.commit(session, new Response('ok'));
        }),
      );
      runSeconds.push((performance.now() - started) / 1000);
      const after = await manager.load(request());
      kept.push(Array.from({ length: callers }, (_, i) => after.get(`caller${i}`) === i).filter(Boolean).length);
      size = (await store.find(cookie.slice(cookie.indexOf('=') + 1)))?.byteLength ?? size;
      after.destroy();
      await manager.commit(after, new Response('ok'));
    }
  } finally {
    await store.close();
  }
  return { bytes: size, callers, encrypted, runSeconds, seconds: median(runSeconds), kept };
}
