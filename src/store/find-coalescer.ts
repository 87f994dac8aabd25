/**
 * Coalesced finds: finds waiting at the same moment go to the database as one statement
 * over an array of tokens, so a busy process spends one round trip (and one query's worth
 * of driver work) on many callers. A find with no company goes out at once, alone.
 */

import { Batcher } from './batcher.js';

/** What a find learns of a live row. `expiryMs` is there when the statement read it. */
export interface FoundRow {
  data: Uint8Array;
  expiryMs?: number;
}

/** A row of the many-token statement. */
export interface KeyedRow extends FoundRow {
  token: string;
}

/** One find that has not been sent yet. */
export interface WaitingFind {
  /** What the table keys the row by: the token, or its hash. */
  readonly key: string;
  readonly token: string;
  readonly method: 'find' | 'findWithExpiry';
  resolve(row: FoundRow | null): void;
  reject(error: unknown): void;
}

export interface FindCoalescerOptions {
  /** Sends one find through the single-token statement. */
  findOne(find: WaitingFind): Promise<FoundRow | null>;
  /** Sends many distinct keys through the one statement over an array, reading expiries when asked. */
  findMany(keys: string[], withExpiry: boolean): Promise<KeyedRow[]>;
  /** The error a caller of a failed statement gets; `batch` holds every find that went in it. */
  failure(error: unknown, find: WaitingFind, batch: readonly WaitingFind[]): unknown;
}

/** Bytes a caller may change without changing another caller's: a copy, of the same class. */
const ownCopy = (bytes: Uint8Array): Uint8Array => (Buffer.isBuffer(bytes) ? Buffer.from(bytes) : bytes.slice());

/**
 * Gathers finds and sends them (see {@link Batcher} for when). Only unsent finds are ever
 * merged: a find that starts after a write resolved is never answered by a statement sent
 * before it.
 */
export class FindCoalescer {
  readonly #options: FindCoalescerOptions;
  readonly #batcher: Batcher<WaitingFind, KeyedRow[] | FoundRow | null>;

  constructor(options: FindCoalescerOptions) {
    this.#options = options;
    this.#batcher = new Batcher({
      run: (batch): Promise<KeyedRow[] | FoundRow | null> => (batch.length === 1 ? options.findOne(batch[0]!) : this.#findMany(batch)),
      settle: (batch, outcome) => {
        if (outcome.status === 'rejected') {
          for (const find of batch) find.reject(options.failure(outcome.reason, find, batch));
        } else if (Array.isArray(outcome.value)) answer(batch, outcome.value);
        else batch[0]!.resolve(outcome.value);
      },
    });
  }

  find(key: string, token: string, method: WaitingFind['method']): Promise<FoundRow | null> {
    return new Promise((resolve, reject) => this.#batcher.add({ key, token, method, resolve, reject }));
  }

  #findMany(batch: readonly WaitingFind[]): Promise<KeyedRow[]> {
    const withExpiry = batch.some((find) => find.method === 'findWithExpiry');
    return this.#options.findMany(distinctKeys(batch), withExpiry);
  }
}

/** Each key once: duplicates are asked once and answered to each caller. */
const distinctKeys = (batch: readonly WaitingFind[]) => [...new Set(batch.map((find) => find.key))];

/** Gives each find its row (bytes of its own when several asked for one token), or null. */
function answer(batch: readonly WaitingFind[], rows: readonly KeyedRow[]): void {
  const byKey = new Map(rows.map((row) => [row.token, row]));
  const answered = new Set<string>();
  for (const find of batch) {
    const row = byKey.get(find.key);
    if (row === undefined) {
      find.resolve(null);
      continue;
    }
    const data = answered.has(find.key) ? ownCopy(row.data) : row.data;
    answered.add(find.key);
    find.resolve(row.expiryMs === undefined ? { data } : { data, expiryMs: row.expiryMs });
  }
}
