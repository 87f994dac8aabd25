/**
 * Coalesced deletes: deletes waiting at the same moment go to the database as one
 * statement over an array of tokens, so a busy process commits many in one round trip
 * (each delete alone waits for a commit of its own). A delete with no company goes out at
 * once, alone, through the single-token statement.
 */

import { Batcher, settleWrites, type WaitingWrite } from './batcher.js';

export interface DeleteCoalescerOptions {
  /** Sends one delete through the single-token statement. */
  deleteOne(key: string): Promise<unknown>;
  /** Sends many distinct keys, in key order, through the one statement over an array. */
  deleteMany(keys: string[]): Promise<unknown>;
  /** The error a caller of a failed statement gets; `batch` holds every delete that went in it. */
  failure(error: unknown, call: WaitingWrite, batch: readonly WaitingWrite[]): unknown;
}

/** Gathers deletes and sends them (see {@link Batcher} for when). */
export class DeleteCoalescer {
  readonly #batcher: Batcher<WaitingWrite, unknown>;

  constructor(options: DeleteCoalescerOptions) {
    this.#batcher = new Batcher({
      run: (batch) => (batch.length === 1 ? options.deleteOne(batch[0]!.key) : options.deleteMany(distinctSortedKeys(batch))),
      settle: settleWrites(options.failure),
    });
  }

  delete(key: string, token: string): Promise<void> {
    return new Promise((resolve, reject) => this.#batcher.add({ key, token, resolve, reject }));
  }
}

/**
 * Each key once, in key order, as a batch of saves writes its rows: batches in flight then
 * meet their common rows in one order and never deadlock on each other.
 */
const distinctSortedKeys = (batch: readonly WaitingWrite[]) => [...new Set(batch.map((call) => call.key))].sort();
