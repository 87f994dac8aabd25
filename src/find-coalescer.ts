/**
 * Coalesced finds: finds waiting at the same moment go to the database as one statement
 * over an array of tokens, so a busy process spends one round trip (and one query's worth
 * of driver work) on many callers. A find with no company goes out at once, alone.
 */

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

/**
 * Statements in flight at once, once more than {@link FEW_FINDS} finds are outstanding.
 * Two: while one batch is in PostgreSQL the process reads the other's rows and gathers
 * the next, so neither side waits idle; one batch of everyone would make them take turns.
 */
const STATEMENTS_IN_FLIGHT = 2;

/**
 * Finds in flight and waiting, at or under which a find goes at once whatever the
 * statements in flight: with so few callers the process is waiting on the database, not
 * busy, and holding a find back for a slot would only add a round trip to it.
 */
const FEW_FINDS = 4;

/** Most finds in one statement, so one batch never holds a caller behind a huge result. */
const MAX_BATCH = 128;

/** Bytes a caller may change without changing another caller's: a copy, of the same class. */
const ownCopy = (bytes: Uint8Array): Uint8Array => (Buffer.isBuffer(bytes) ? Buffer.from(bytes) : bytes.slice());

/**
 * Gathers finds and sends them. A find queues, and the queue is sent one microtask later,
 * so every caller resuming from the same batch joins the next one (otherwise the first to
 * resume would find nothing in flight, go alone, and batching would collapse into single
 * statements). Only unsent finds are ever merged: a find that starts after a write
 * resolved is never answered by a statement sent before it.
 */
export class FindCoalescer {
  readonly #options: FindCoalescerOptions;
  #waiting: WaitingFind[] = [];
  #inFlight = 0;
  /** Finds in the statements in flight. */
  #findsInFlight = 0;
  #flushQueued = false;

  constructor(options: FindCoalescerOptions) {
    this.#options = options;
  }

  find(key: string, token: string, method: WaitingFind['method']): Promise<FoundRow | null> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ key, token, method, resolve, reject });
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /** Sends what waits, split over the free statement slots; the rest waits for a slot. */
  #flush(): void {
    this.#flushQueued = false;
    while (this.#waiting.length > 0) {
      const few = this.#findsInFlight + this.#waiting.length <= FEW_FINDS;
      if (this.#inFlight >= STATEMENTS_IN_FLIGHT && !few) return;
      const slots = Math.max(1, STATEMENTS_IN_FLIGHT - this.#inFlight);
      const size = Math.min(MAX_BATCH, Math.ceil(this.#waiting.length / slots));
      void this.#send(this.#waiting.splice(0, size));
    }
  }

  /** Sends one statement. Never rejects: its outcome goes to each of its callers. */
  async #send(batch: WaitingFind[]): Promise<void> {
    this.#inFlight++;
    this.#findsInFlight += batch.length;
    let rows: KeyedRow[] | FoundRow | null;
    try {
      rows = batch.length === 1 ? await this.#options.findOne(batch[0]!) : await this.#findMany(batch);
    } catch (error) {
      this.#release(batch);
      for (const find of batch) find.reject(this.#options.failure(error, find, batch));
      return;
    }
    this.#release(batch);
    if (!Array.isArray(rows)) batch[0]!.resolve(rows);
    else answer(batch, rows);
  }

  #findMany(batch: readonly WaitingFind[]): Promise<KeyedRow[]> {
    const withExpiry = batch.some((find) => find.method === 'findWithExpiry');
    return this.#options.findMany(distinctKeys(batch), withExpiry);
  }

  /** Frees a slot; those that waited for it go now, before this statement's callers resume and queue again. */
  #release(batch: readonly WaitingFind[]): void {
    this.#inFlight--;
    this.#findsInFlight -= batch.length;
    this.#flush();
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
