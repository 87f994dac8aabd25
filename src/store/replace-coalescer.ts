/**
 * Coalesced compare-and-swaps: replaces waiting at the same moment go to the database as one
 * `UPDATE … FROM unnest(…)`, so a busy process commits many changed sessions in one round
 * trip, and each caller still learns whether its own swap won. A replace with no company goes
 * out at once, alone, through the single-row statement.
 */

import { Batcher } from './batcher.js';

/** One replace that has not been sent yet. */
export interface WaitingReplace {
  /** What the table keys the row by: the token, or its hash. */
  readonly key: string;
  readonly token: string;
  /** SHA-256 of the bytes the row must still hold. */
  readonly digest: Uint8Array;
  /** What to write in their place (sealed, on an encrypted store). */
  readonly data: Uint8Array;
  readonly expiry: Date;
  /** What the row is expected to hold (and its sealing): a failure may quote it, so its error is scrubbed of it. */
  readonly old: readonly Uint8Array[];
  resolve(replaced: boolean): void;
  reject(error: unknown): void;
}

/** The rows of one many-row compare-and-swap: each key once, in key order. */
export interface ReplaceRows {
  keys: string[];
  digests: Uint8Array[];
  data: Uint8Array[];
  expiries: Date[];
}

export interface ReplaceCoalescerOptions {
  /** Sends one replace through the single-row statement; resolves to whether it wrote. */
  replaceOne(replace: WaitingReplace): Promise<boolean>;
  /** Sends many distinct keys through the one statement over arrays; resolves to the keys it wrote. */
  replaceMany(rows: ReplaceRows): Promise<readonly { token: string }[]>;
  /** The error a caller of a failed statement gets; `batch` holds every replace that went in it. */
  failure(error: unknown, replace: WaitingReplace, batch: readonly WaitingReplace[]): unknown;
}

/**
 * Gathers replaces and sends them (see {@link Batcher} for when). A statement holds each key
 * once: a second replace of a token waits until the first has settled, so the two behave as
 * if run in call order (PostgreSQL would apply only one of two matches of a row in one
 * UPDATE, and could not say which caller's it was).
 */
export class ReplaceCoalescer {
  readonly #batcher: Batcher<WaitingReplace, boolean | readonly { token: string }[]>;

  constructor(options: ReplaceCoalescerOptions) {
    this.#batcher = new Batcher({
      run: (batch): Promise<boolean | readonly { token: string }[]> => (batch.length === 1 ? options.replaceOne(batch[0]!) : options.replaceMany(rowsOf(batch))),
      settle: (batch, outcome) => {
        if (outcome.status === 'rejected') {
          for (const call of batch) call.reject(options.failure(outcome.reason, call, batch));
        } else if (typeof outcome.value === 'boolean') batch[0]!.resolve(outcome.value);
        else {
          const written = new Set(outcome.value.map((row) => row.token));
          for (const call of batch) call.resolve(written.has(call.key));
        }
      },
      keyOf: (call) => call.key,
    });
  }

  replace(call: Omit<WaitingReplace, 'resolve' | 'reject'>): Promise<boolean> {
    return new Promise((resolve, reject) => this.#batcher.add({ ...call, resolve, reject }));
  }
}

/**
 * The batch as rows, in key order, so that two statements in flight lock their common rows
 * (with those of coalesced saves and deletes) in one order and never deadlock.
 */
function rowsOf(batch: readonly WaitingReplace[]): ReplaceRows {
  const sorted = [...batch].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    keys: sorted.map((call) => call.key),
    digests: sorted.map((call) => call.digest),
    data: sorted.map((call) => call.data),
    expiries: sorted.map((call) => call.expiry),
  };
}
