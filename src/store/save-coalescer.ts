/**
 * Coalesced saves: saves waiting at the same moment go to the database as one multi-row
 * upsert, so a busy process spends one round trip on many callers. A save with no company
 * goes out at once, alone, through the single-row statement.
 */

import { Batcher, settleWrites, type WaitingWrite } from './batcher.js';

/**
 * Largest data a save may carry into a batch. A batch sends its data as hex in one text
 * parameter, twice the bytes; bigger sessions go alone as binary, so that a batch stays a
 * few megabytes (128 saves at most) and never nears the limits of a string or a parameter.
 */
export const MAX_BATCHED_DATA_BYTES = 64 * 1024;

/** One save that has not been sent yet. */
export interface WaitingSave extends WaitingWrite {
  readonly data: Uint8Array;
  readonly expiry: Date;
}

/** The rows of one multi-row upsert: each key once, in key order. */
export interface SaveRows {
  keys: string[];
  data: Uint8Array[];
  expiries: Date[];
}

export interface SaveCoalescerOptions {
  /** Sends one save through the single-row statement. */
  saveOne(save: WaitingSave): Promise<unknown>;
  /** Sends many rows, each key once, through the one upsert over arrays. */
  saveMany(rows: SaveRows): Promise<unknown>;
  /** The error a caller of a failed statement gets; `batch` holds every save that went in it. */
  failure(error: unknown, save: WaitingSave, batch: readonly WaitingSave[]): unknown;
}

/**
 * Gathers saves and sends them (see {@link Batcher} for when). The whole batch is one
 * statement, so one row PostgreSQL refuses fails every save in it; input is checked per
 * call before it queues, so only a fault of the database can do that.
 */
export class SaveCoalescer {
  readonly #batcher: Batcher<WaitingSave, unknown>;

  constructor(options: SaveCoalescerOptions) {
    this.#batcher = new Batcher({
      run: (batch) => (batch.length === 1 ? options.saveOne(batch[0]!) : options.saveMany(rowsOf(batch))),
      settle: settleWrites(options.failure),
    });
  }

  save(key: string, token: string, data: Uint8Array, expiry: Date): Promise<void> {
    return new Promise((resolve, reject) => this.#batcher.add({ key, token, data, expiry, resolve, reject }));
  }
}

/**
 * The batch as rows. A key saved twice keeps its last save, as if the saves had run in
 * call order (and PostgreSQL refuses an upsert that touches one row twice). Rows go in key
 * order, so two batches in flight lock their common rows in the same order and never
 * deadlock on each other.
 */
function rowsOf(batch: readonly WaitingSave[]): SaveRows {
  const last = new Map<string, WaitingSave>();
  for (const save of batch) last.set(save.key, save);
  const saves = [...last.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { keys: saves.map((save) => save.key), data: saves.map((save) => save.data), expiries: saves.map((save) => save.expiry) };
}
