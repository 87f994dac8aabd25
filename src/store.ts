import { CleanupScheduler, MAX_TIMER_MS, reportCleanupError } from './cleanup.js';
import { queryError, StoreClosedError, type CallSecrets } from './errors.js';
import {
  checkBoolean,
  checkCount,
  checkData,
  checkExpiry,
  checkFunction,
  checkOptionNames,
  checkSessionsTable,
  checkToken,
  checkTokenToWrite,
  DEFAULT_MAX_DATA_BYTES,
  describeValue,
  withinExpiryRange,
} from './input.js';
import { sessions, type SessionsTable } from './schema.js';
import { buildStatements, type SessionDatabase, type Statements } from './statements.js';
import { hashToken } from './token-hash.js';

/**
 * Options of a {@link PGStore}; every one has a default.
 *
 * @example
 * ```ts
 * new PGStore(db, { cleanupInterval: 60_000, cleanupJitter: 0.1, hashTokens: true });
 * ```
 */
export interface PGStoreOptions {
  /** Milliseconds between cleanups of expired rows. Default 5 minutes; 0 turns cleanup off. */
  cleanupInterval?: number;
  /** Spread of each cleanup wait as a fraction of the interval, 0 to 1. Default 0. */
  cleanupJitter?: number;
  /** Rows one cleanup statement deletes at most, so no run holds a huge lock. Default 5000. */
  cleanupBatchSize?: number;
  /** Told of each failed cleanup run. Default: one line on stderr. */
  onError?: (error: unknown) => void;
  /** The sessions table. Default {@link sessions}; see {@link defineSessionsTable}. */
  table?: SessionsTable;
  /**
   * Use named server-side prepared statements. Default true. Turn off behind PgBouncer
   * in transaction mode before 1.21 (or with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
  /** Largest session `save` accepts, in bytes. Default 16 MiB. */
  maxDataBytes?: number;
  /**
   * Store SHA-256 of each token (see {@link hashToken}) instead of the token, so that
   * reading the table yields no usable session. Default false. `all()` and `tokens()`
   * then give the hashes. Switching it on logs out every existing session.
   */
  hashTokens?: boolean;
}

/** Every option a PGStore takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({
  cleanupInterval: true,
  cleanupJitter: true,
  cleanupBatchSize: true,
  onError: true,
  table: true,
  preparedStatements: true,
  maxDataBytes: true,
  hashTokens: true,
} satisfies Record<keyof PGStoreOptions, true>);

/**
 * A live session as {@link PGStore.findWithExpiry} gives it.
 *
 * @example
 * ```ts
 * const session: SessionWithExpiry | null = await store.findWithExpiry(token);
 * ```
 */
export interface SessionWithExpiry {
  /** The session's bytes, as `find` gives them. */
  data: Uint8Array;
  /** When the row expires, as stored (to the millisecond); `touch` moves it. */
  expiry: Date;
}

/**
 * Options of {@link PGStore.touch}.
 *
 * @example
 * ```ts
 * await store.touch(token, expiry, { minChange: 60_000 } satisfies TouchOptions);
 * ```
 */
export interface TouchOptions {
  /**
   * Leave the row alone unless the expiry would move by more than this many
   * milliseconds. Default 0: write whenever the expiry changes.
   */
  minChange?: number;
}

/**
 * Options of {@link PGStore.deleteExpired}.
 *
 * @example
 * ```ts
 * const options: DeleteExpiredOptions = { signal: AbortSignal.timeout(10_000), onProgress: console.log };
 * await store.deleteExpired(options);
 * ```
 */
export interface DeleteExpiredOptions {
  /** Stops after the batch in flight; the promise then resolves with the rows removed so far. */
  signal?: AbortSignal;
  /** Called after each batch with the rows removed so far. */
  onProgress?: (deleted: number) => void;
}

const DEFAULT_CLEANUP_INTERVAL = 5 * 60_000;
const DEFAULT_BATCH_SIZE = 5000;

/**
 * A session store in a PostgreSQL table, over any Drizzle PostgreSQL database: the
 * TypeScript counterpart of SCS's `pgstore`. Expiry is decided by the database clock.
 * It starts a background cleanup of expired rows that never keeps the process alive.
 *
 * @example
 * ```ts
 * const store = new PGStore(drizzle(pool), { cleanupInterval: 60_000 });
 * await store.save('token', new TextEncoder().encode('hi'), new Date(Date.now() + 3_600_000));
 * const bytes = await store.find('token'); // Uint8Array | null
 * ```
 */
export class PGStore {
  /**
   * The table this store reads and writes.
   *
   * @example
   * ```ts
   * const rows = await db.$count(store.table);
   * ```
   */
  readonly table: SessionsTable;
  /**
   * The background cleanup this store owns.
   *
   * @example
   * ```ts
   * if (store.cleanup.lastRun?.error) console.warn('session cleanup is failing');
   * ```
   */
  readonly cleanup: CleanupScheduler;
  readonly #statements: Statements;
  readonly #batchSize: number;
  readonly #maxDataBytes: number;
  readonly #hashTokens: boolean;
  #closed = false;

  constructor(db: SessionDatabase, options: PGStoreOptions = {}) {
    checkOptionNames('PGStore', options, OPTION_NAMES);
    const interval = options.cleanupInterval ?? DEFAULT_CLEANUP_INTERVAL;
    checkCount('cleanupInterval', interval, MAX_TIMER_MS);
    const jitter = options.cleanupJitter ?? 0;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      throw new RangeError(`drizzle-pgstore: cleanupJitter must be a number from 0 to 1, got ${describeValue(jitter)}`);
    }
    this.#batchSize = options.cleanupBatchSize ?? DEFAULT_BATCH_SIZE;
    checkCount('cleanupBatchSize', this.#batchSize);
    if (this.#batchSize === 0) throw new RangeError('drizzle-pgstore: cleanupBatchSize must be at least 1');
    this.#maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
    checkCount('maxDataBytes', this.#maxDataBytes);
    if (options.onError !== undefined) checkFunction('onError', options.onError);
    this.#hashTokens = options.hashTokens ?? false;
    checkBoolean('hashTokens', this.#hashTokens);
    const preparedStatements = options.preparedStatements ?? true;
    checkBoolean('preparedStatements', preparedStatements);
    if (typeof db?.select !== 'function' || typeof db.insert !== 'function') {
      throw new TypeError('drizzle-pgstore: PGStore needs a Drizzle PostgreSQL database, e.g. drizzle(pool)');
    }

    this.table = options.table ?? sessions;
    checkSessionsTable(this.table);
    this.#statements = buildStatements(db, this.table, preparedStatements);
    this.cleanup = new CleanupScheduler((signal) => this.deleteExpired({ signal }), {
      interval,
      jitter,
      onError: options.onError ?? reportCleanupError,
    });
    this.cleanup.start();
  }

  /**
   * The data of a live session, or `null` when the token is unknown, expired or empty.
   *
   * @example
   * ```ts
   * const bytes = await store.find(token);
   * if (bytes === null) // no session
   * ```
   */
  async find(token: string): Promise<Uint8Array | null> {
    this.#checkOpen('find');
    checkToken(token);
    if (token === '') return null;
    const key = await this.#storedKey(token);
    const [row] = await this.#query('find', () => this.#statements.find.execute({ token: key }), { token, key });
    return row ? row.data : null;
  }

  /**
   * The data of a live session and the expiry its row has now, in one query, or `null`
   * as with {@link find}. The expiry is the one `save` or a later `touch` wrote, so an
   * adapter can give the session the cookie expiry it really has.
   *
   * @example
   * ```ts
   * const found = await store.findWithExpiry(token);
   * if (found) console.log(`${found.data.byteLength} bytes, expiring ${found.expiry.toISOString()}`);
   * ```
   */
  async findWithExpiry(token: string): Promise<SessionWithExpiry | null> {
    this.#checkOpen('findWithExpiry');
    checkToken(token);
    if (token === '') return null;
    const key = await this.#storedKey(token);
    const [row] = await this.#query('findWithExpiry', () => this.#statements.findWithExpiry.execute({ token: key }), {
      token,
      key,
    });
    return row ? { data: row.data, expiry: new Date(row.expiryMs) } : null;
  }

  /**
   * Adds a session, or replaces the data and expiry of an existing one, in one upsert.
   *
   * @example
   * ```ts
   * await store.save(token, bytes, new Date(Date.now() + 24 * 3_600_000));
   * ```
   */
  async save(token: string, data: Uint8Array, expiry: Date): Promise<void> {
    this.#checkOpen('save');
    checkTokenToWrite(token);
    checkData(data, this.#maxDataBytes);
    checkExpiry(expiry);
    const key = await this.#storedKey(token);
    await this.#query('save', () => this.#statements.save.execute({ token: key, data, expiry }), { token, key, data });
  }

  /**
   * Replaces the data and expiry of a live session only if it still holds `expected`, in
   * one statement, and says whether it did: the compare-and-swap a session manager commits
   * with, so that it never overwrites a change made since it read the row.
   *
   * @example
   * ```ts
   * const entry = await store.findWithExpiry(token);
   * const replaced = entry !== null && (await store.replace(token, entry.data, next, expiry));
   * // false: another writer came first (or the session is gone); read it again and retry
   * ```
   */
  async replace(token: string, expected: Uint8Array, data: Uint8Array, expiry: Date): Promise<boolean> {
    this.#checkOpen('replace');
    checkTokenToWrite(token);
    checkData(expected, Number.MAX_SAFE_INTEGER);
    checkData(data, this.#maxDataBytes);
    checkExpiry(expiry);
    const key = await this.#storedKey(token);
    const rows = await this.#query('replace', () => this.#statements.replace.execute({ token: key, expected, data, expiry }), {
      token,
      key,
      data,
    });
    return rows.length > 0;
  }

  /**
   * Removes a session. An unknown or empty token is not an error.
   *
   * @example
   * ```ts
   * await store.delete(token);
   * ```
   */
  async delete(token: string): Promise<void> {
    this.#checkOpen('delete');
    checkToken(token);
    if (token === '') return;
    const key = await this.#storedKey(token);
    await this.#query('delete', () => this.#statements.delete.execute({ token: key }), { token, key });
  }

  /**
   * Moves the expiry of a live session, without touching its data, and says whether the
   * row was written. With `minChange`, an expiry that would move by that much or less is
   * left as it is: the row is not rewritten, which spares PostgreSQL a dead tuple per
   * request on a busy site.
   *
   * @example
   * ```ts
   * // Slide the session to 24 h from now, at most once a minute:
   * await store.touch(token, new Date(Date.now() + 86_400_000), { minChange: 60_000 });
   * ```
   */
  async touch(token: string, expiry: Date, options: TouchOptions = {}): Promise<boolean> {
    this.#checkOpen('touch');
    checkToken(token);
    checkExpiry(expiry);
    const minChange = options.minChange ?? 0;
    checkCount('minChange', minChange);
    if (token === '') return false;
    const key = await this.#storedKey(token);
    const rows = await this.#query(
      'touch',
      () =>
        this.#statements.touch.execute({
          token: key,
          expiry,
          earliest: withinExpiryRange(expiry.getTime() - minChange),
          latest: withinExpiryRange(expiry.getTime() + minChange),
        }),
      { token, key },
    );
    return rows.length > 0;
  }

  /**
   * Every live session, by token (by its hash with `hashTokens`). Empty when there are none.
   *
   * @example
   * ```ts
   * for (const [token, bytes] of await store.all()) console.log(token, bytes.length);
   * ```
   */
  async all(): Promise<Map<string, Uint8Array>> {
    this.#checkOpen('all');
    const rows = await this.#query('all', () => this.#statements.all.execute());
    return new Map(rows.map((row) => [row.token, row.data]));
  }

  /**
   * The tokens of every live session (their hashes with `hashTokens`).
   *
   * @example
   * ```ts
   * const live = await store.tokens(); // string[]
   * ```
   */
  async tokens(): Promise<string[]> {
    this.#checkOpen('tokens');
    const rows = await this.#query('tokens', () => this.#statements.tokens.execute());
    return rows.map((row) => row.token);
  }

  /**
   * How many live sessions there are, counted in the database.
   *
   * @example
   * ```ts
   * console.log(`${await store.count()} signed in`);
   * ```
   */
  async count(): Promise<number> {
    this.#checkOpen('count');
    const [row] = await this.#query('count', () => this.#statements.count.execute());
    return row?.live ?? 0;
  }

  /**
   * Deletes every session, live or expired: everyone is signed out.
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  async clear(): Promise<void> {
    this.#checkOpen('clear');
    await this.#query('clear', () => this.#statements.clear.execute());
  }

  /**
   * Deletes expired rows now, in batches of `cleanupBatchSize`, and returns how many went.
   * Batches lock only rows that no other cleaner holds (`FOR UPDATE SKIP LOCKED`), so
   * several instances may clean one table at once without waiting on each other.
   *
   * @example
   * ```ts
   * const removed = await store.deleteExpired({ onProgress: (n) => console.log(n) });
   * ```
   */
  async deleteExpired(options: DeleteExpiredOptions = {}): Promise<number> {
    this.#checkOpen('deleteExpired');
    const { signal, onProgress } = options;
    let deleted = 0;
    while (!signal?.aborted) {
      const [row] = await this.#query('deleteExpired', () =>
        this.#statements.deleteExpiredBatch.execute({ limit: this.#batchSize }),
      );
      const batch = row?.deleted ?? 0;
      deleted += batch;
      onProgress?.(deleted);
      if (batch < this.#batchSize) break;
    }
    return deleted;
  }

  /**
   * Stops the background cleanup and waits for a run in flight. The store still works.
   * Safe at any time and more than once.
   *
   * @example
   * ```ts
   * afterAll(() => store.stopCleanup());
   * ```
   */
  stopCleanup(): Promise<void> {
    return this.cleanup.stop();
  }

  /**
   * Stops the cleanup and refuses every later call with {@link StoreClosedError}. The
   * database belongs to the caller and stays open.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', async () => { await store.close(); await pool.end(); });
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.cleanup.stop();
  }

  /** What the table keys a token by: the token, or its hash with `hashTokens`. */
  #storedKey(token: string): string | Promise<string> {
    return this.#hashTokens ? hashToken(token) : token;
  }

  /**
   * Runs one of the store's queries. Every query goes through here, so that a failure
   * leaves the store as a StoreQueryError holding none of the call's secrets.
   */
  async #query<T>(method: string, run: () => Promise<T>, secrets?: CallSecrets): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw queryError(method, error, secrets);
    }
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw new StoreClosedError(method);
  }
}
