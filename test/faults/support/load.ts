import { expect, vi } from 'vitest';
import type { PGStore } from '../../../src/index.js';
import { inOneHour } from '../../support/values.js';

/** One store call the load made, and how it settled. */
export interface Operation {
  store: string;
  token: string;
  kind: 'save' | 'find' | 'delete';
  /** What a save wrote. */
  written?: string;
  /** What a find returned (null: no session). */
  read?: string | null;
  /** How it settled: resolved, rejected with an Error, rejected with something else, or still pending at the deadline. */
  outcome: 'ok' | 'error' | 'non-error rejection' | 'hung';
  error?: unknown;
  /** When it settled, by `performance.now()`. */
  settledAt?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Settles a call within `ms`, or reports it as hung. A call that hangs is the failure these
 * tests look for, so the deadline is generous: it must cover postgres.js's reconnect
 * backoff and its 30 s connect timeout, never a slow but healthy call.
 */
async function withDeadline<T>(call: () => Promise<T>, ms: number): Promise<{ value?: T; outcome: Operation['outcome']; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<{ outcome: 'hung' }>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'hung' }), ms);
  });
  try {
    return await Promise.race([
      call().then(
        (value) => ({ value, outcome: 'ok' as const }),
        (error: unknown) => ({ error, outcome: error instanceof Error ? ('error' as const) : ('non-error rejection' as const) }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LoadOptions {
  /** Stores by name; each gets `workersPerStore` workers. */
  stores: Record<string, PGStore>;
  workersPerStore: number;
  tokensPerWorker: number;
  deadlineMs: number;
}

/**
 * A mixed save/find/delete load. Each token belongs to exactly one worker, which calls
 * one at a time, so the calls on a token form a sequence and what the table must hold
 * afterwards follows from it (see {@link checkNoAcknowledgedWriteLost}).
 */
export class Load {
  readonly history: Operation[] = [];
  #running = true;
  #workers: Promise<void>[] = [];

  constructor(readonly options: LoadOptions) {
    let worker = 0;
    for (const [name, store] of Object.entries(options.stores)) {
      for (let i = 0; i < options.workersPerStore; i++) this.#workers.push(this.#work(name, store, worker++));
    }
  }

  /** Calls that settled so far, by outcome. */
  count(outcome: Operation['outcome'], store?: string): number {
    return this.history.filter((op) => op.outcome === outcome && (store === undefined || op.store === store)).length;
  }

  /** Every token the load uses. */
  get tokens(): string[] {
    return [...new Set(this.history.map((op) => op.token))];
  }

  /** Stops the workers after their current call and waits for them. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  async #work(storeName: string, store: PGStore, worker: number): Promise<void> {
    const tokens = Array.from({ length: this.options.tokensPerWorker }, (_, i) => `w${worker}-t${i}`);
    for (let seq = 0; this.#running; seq++) {
      const token = tokens[seq % tokens.length]!;
      const roll = (seq * 7 + worker) % 10;
      const op: Operation = { store: storeName, token, kind: roll < 5 ? 'save' : roll < 8 ? 'find' : 'delete', outcome: 'ok' };
      let settled;
      if (op.kind === 'save') {
        op.written = `${token} #${seq}`;
        const written = op.written;
        settled = await withDeadline(() => store.save(token, encoder.encode(written), inOneHour()), this.options.deadlineMs);
      } else if (op.kind === 'find') {
        settled = await withDeadline(() => store.find(token), this.options.deadlineMs);
        if (settled.outcome === 'ok') op.read = settled.value ? decoder.decode(settled.value) : null;
      } else {
        settled = await withDeadline(() => store.delete(token), this.options.deadlineMs);
      }
      op.outcome = settled.outcome;
      op.settledAt = performance.now();
      if (settled.outcome !== 'ok') op.error = settled.error;
      this.history.push(op);
      // A failing database fails calls at once; do not spin while it is down.
      if (settled.outcome !== 'ok') await sleep(25);
    }
  }
}

/**
 * Problems in a history and the values found afterwards. Walking a token's calls in
 * order, what it may hold is the value of the last acknowledged write (null after a
 * delete), or that of any later write that failed, since a failed call may have committed
 * before its connection died. A find narrows that to what it saw. A find outside the set,
 * or a final value outside it, means an acknowledged write was lost (or a ghost appeared).
 * With `from: 'unknown'` the history is a tail (the calls since a failover, say) and a
 * token may hold anything until its first acknowledged write or successful find.
 */
export function checkNoAcknowledgedWriteLost(
  history: Operation[],
  finalValues: Map<string, string | null>,
  { from = 'empty' }: { from?: 'empty' | 'unknown' } = {},
): string[] {
  const problems: string[] = [];
  for (const [token, found] of finalValues) {
    // 'unknown': the history is a tail, so the table may hold anything until a call says what.
    let possible: Set<string | null> | undefined = from === 'empty' ? new Set([null]) : undefined;
    for (const op of history) {
      if (op.token !== token) continue;
      if (op.kind === 'find' && op.outcome === 'ok') {
        if (possible && !possible.has(op.read ?? null)) {
          problems.push(`${token}: a find read ${op.read}, but only ${[...possible].join(' | ')} could be there`);
        }
        possible = new Set([op.read ?? null]);
      } else if (op.kind !== 'find') {
        const value = op.kind === 'save' ? op.written! : null;
        if (op.outcome === 'ok') possible = new Set([value]);
        else possible?.add(value);
      }
    }
    if (possible && !possible.has(found)) {
      problems.push(`${token}: holds ${found} afterwards, but only ${[...possible].join(' | ')} could be there`);
    }
  }
  return problems;
}

/** Waits up to `timeout` ms until each store has had `count` more calls resolve than it had at `since`. */
export async function waitForSuccesses(load: Load, timeout: number, since: number, count: number): Promise<void> {
  await vi.waitFor(
    () => {
      for (const name of Object.keys(load.options.stores)) {
        const ok = load.history.slice(since).filter((op) => op.store === name && op.outcome === 'ok').length;
        expect(ok, `calls on ${name} that resolved`).toBeGreaterThanOrEqual(count);
      }
    },
    { timeout, interval: 100 },
  );
}
