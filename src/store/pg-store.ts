import { getTableName, sql } from 'drizzle-orm';
import { CleanupScheduler, MAX_TIMER_MS, reportCleanupError, type CleanupStatus } from './cleanup.js';
import { StoreClosedError } from '../errors.js';
import {
  checkBoolean,
  checkData,
  checkExpiry,
  checkFunction,
  checkOptionNames,
  checkRange,
  checkSessionsTable,
  checkToken,
  checkTokenToWrite,
  ownerText,
  withinExpiryRange,
} from '../input.js';
import { DeleteCoalescer } from './delete-coalescer.js';
import { SEAL_OVERHEAD, SessionCipher, UnreadableSessionDataError, type EncryptionKey } from './encryption.js';
import { reencryptRows, type ReencryptOptions, type ReencryptProgress } from './encryption-rotation.js';
import { FindCoalescer, type FoundRow, type WaitingFind } from './find-coalescer.js';
import { batchSecrets, queryError, type CallSecrets } from './redaction.js';
import { ReplaceCoalescer } from './replace-coalescer.js';
import { probeRun, resendOf, sendWithResend } from './retry.js';
import { MAX_BATCHED_DATA_BYTES, SaveCoalescer } from './save-coalescer.js';
import { sessions, type SessionsTable } from '../schema.js';
import type {
  DeleteOwnerOptions,
  OwnedSession,
  Owner,
  SaveOptions,
  SessionsOfOptions,
  SessionStore,
  SessionWithExpiry,
  TouchOptions,
} from '../session-store.js';
import type { SessionDatabase } from '../database.js';
import { buildStatements, replaceDigest, replaceManyParams, saveManyParams, type Statements } from './statements.js';
import { hashToken } from '../token-hash.js';

const firstOrNull = <Row>(rows: Row[]): Row | null => rows[0] ?? null;

/** The owner a write sets (null clears it), with the statements that write it. */
interface OwnerToWrite {
  owner: string | null;
  statements: NonNullable<Statements['owner']>;
}

/** The key of {@link PGStore}'s view by stored keys; internal to the package. */
export const byStoredKey = Symbol('drizzle-pgstore.byStoredKey');

/** Options of a {@link PGStore}; every one has a default. */
export interface PGStoreOptions {
  /**
   * Milliseconds between cleanups of expired rows (from the end of one run to the start of
   * the next). Default 5 minutes; 0 turns cleanup off; 1 to 9 are refused as a mistake.
   */
  cleanupInterval?: number;
  /** Spread of each cleanup wait as a fraction of the interval, 0 to 1. Default 0. */
  cleanupJitter?: number;
  /** Rows one cleanup statement deletes at most, so no run holds a huge lock. Default 5000. */
  cleanupBatchSize?: number;
  /**
   * Lock each cleanup batch's rows with `FOR UPDATE SKIP LOCKED`, so that cleaners never
   * wait on each other or on a request. Default true. Turn off where row locks are not
   * supported, such as a Citus table distributed by `token` (see docs/scaling.md).
   */
  cleanupSkipLocked?: boolean;
  /**
   * Told of each failed cleanup run, and of each row no key in `encryptionKeys` decrypts
   * (an {@link UnreadableSessionDataError}). Default: one line on stderr.
   */
  onError?: (error: unknown) => void;
  /** The sessions table. Default {@link sessions}; see {@link defineSessionsTable}. */
  table?: SessionsTable;
  /**
   * Use named server-side prepared statements. Default true. Turn off behind PgBouncer
   * in transaction mode before 1.21 (or with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
  /**
   * Largest session `save` accepts, in bytes (before encryption, which adds 33). Default
   * 16 MiB; at least 1, at most what a PostgreSQL bytea holds (1 GB).
   */
  maxDataBytes?: number;
  /**
   * Store SHA-256 of each token (see {@link hashToken}) instead of the token, so that
   * reading the table yields no usable session. Default true. `all()`, `tokens()` and
   * `sessionsOf()` give the hashes. A table written with `hashTokens: false` (the default of
   * earlier versions) needs `npx drizzle-pgstore hash-tokens` once, or its sessions are not
   * found (see docs/encryption.md).
   */
  hashTokens?: boolean;
  /**
   * Encrypt session data at rest with AES-256-GCM. Each key is 32 bytes, as a Uint8Array
   * or base64 / base64url text (`openssl rand -base64 32`). The first key encrypts every
   * write; every key decrypts, so a rotation deploys `[newKey, oldKey]`, runs
   * `npx drizzle-pgstore reencrypt` (or {@link PGStore.reencrypt}), then drops the old key.
   * A row no key decrypts reads as no session and is reported to `onError`. Default: none,
   * data is stored as given. See docs/encryption.md.
   *
   * @example
   * ```ts
   * new PGStore(db, { encryptionKeys: process.env.SESSION_KEYS!.split(',') }); // "new,old"
   * ```
   */
  encryptionKeys?: readonly EncryptionKey[];
  /**
   * While encryption is turned on for a table of unencrypted sessions: read a row that is not
   * encrypted as the plain data it is, rather than as no session, so no one is signed out.
   * Every write still encrypts, and {@link PGStore.reencrypt} then encrypts those rows too. A row
   * in the encrypted format that no key opens still reads as no session. Only with
   * `encryptionKeys`. Default false; turn it off once reencrypt has run, since meanwhile whoever
   * can write to the table can plant an unencrypted session. See docs/encryption.md.
   */
  readUnencrypted?: boolean;
  /**
   * Send finds that wait at the same moment as one statement over an array of tokens.
   * Default true. Each caller still gets its own row (its own bytes) or `null`, and a find
   * with no company goes out at once through the single-token statement; only finds not yet
   * sent are merged, so a find that starts after a write resolved always sees it. Under
   * load this multiplies the finds a process serves; false sends one statement per find.
   */
  coalesceFinds?: boolean;
  /**
   * Send saves that wait at the same moment as one multi-row upsert. Default true. A save
   * with no company goes out at once through the single-row statement; a token saved twice
   * in one batch keeps the later call's data and expiry, as if the saves ran in call order.
   * A save with an `owner` option, or with over 64 KiB of data, always goes alone. One row
   * PostgreSQL refuses fails every save of its batch (input is checked per call first, so
   * only a database fault can). false sends one statement per save.
   */
  coalesceSaves?: boolean;
  /**
   * Send deletes that wait at the same moment as one statement over an array of tokens.
   * Default true. A delete with no company goes out at once through the single-token
   * statement; every caller resolves once its statement committed, so a find that starts
   * after a delete resolved never sees the session. false sends one statement per delete.
   */
  coalesceDeletes?: boolean;
  /**
   * Send replaces (compare-and-swaps) that wait at the same moment as one statement over
   * arrays. Default true. Each caller still learns whether its own swap won; a replace with no
   * company goes out at once through the single-row statement, and a token replaced twice at
   * once goes in two statements, the later call after the earlier one settled, as if they ran
   * in call order. A replace with an `owner` option, or with over 64 KiB of data, always goes
   * alone. false sends one statement per replace.
   */
  coalesceReplaces?: boolean;
}

/** Every option a PGStore takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({
  cleanupInterval: true,
  cleanupJitter: true,
  cleanupBatchSize: true,
  cleanupSkipLocked: true,
  onError: true,
  table: true,
  preparedStatements: true,
  maxDataBytes: true,
  hashTokens: true,
  encryptionKeys: true,
  readUnencrypted: true,
  coalesceFinds: true,
  coalesceSaves: true,
  coalesceDeletes: true,
  coalesceReplaces: true,
} satisfies Record<keyof PGStoreOptions, true>);

const SAVE_OPTION_NAMES = Object.keys({ owner: true } satisfies Record<keyof SaveOptions, true>);

/** Options of {@link PGStore.deleteExpired}. */
export interface DeleteExpiredOptions {
  /** Stops after the batch in flight; the promise then resolves with the rows removed so far. */
  signal?: AbortSignal;
  /** Called after each batch with the rows removed so far. */
  onProgress?: (deleted: number) => void;
}

const DEFAULT_CLEANUP_INTERVAL = 5 * 60_000;
const DEFAULT_MAX_DATA_BYTES = 16 * 1024 * 1024;
const DEFAULT_BATCH_SIZE = 5000;
/** Shorter intervals are refused: a cleanup every millisecond or so is a mistake (seconds taken for milliseconds?). */
const MIN_CLEANUP_INTERVAL = 10;
/** PostgreSQL's largest field value: 1 GB less one byte. */
const MAX_BYTEA_BYTES = 2 ** 30 - 1;

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
export class PGStore implements SessionStore {
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
   * What the background cleanup this store owns is doing: its last run, whether one is in
   * flight, whether it was stopped. Stop it with {@link stopCleanup} or {@link close}.
   */
  readonly cleanup: CleanupStatus;
  readonly #cleanup: CleanupScheduler;
  readonly #statements: Statements;
  readonly #batchSize: number;
  readonly #maxDataBytes: number;
  readonly #hashTokens: boolean;
  /** Seals and opens session data; undefined without `encryptionKeys`. */
  readonly #cipher: SessionCipher | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #db: SessionDatabase;
  readonly #options: PGStoreOptions;
  /** Finds a live connection before a statement goes again (see sendWithResend). */
  readonly #probe = probeRun(() => this.#db.execute(sql`select 1`));
  /** Gathers concurrent finds; undefined with `coalesceFinds: false`. */
  readonly #finds: FindCoalescer | undefined;
  /** Gathers concurrent saves without an owner; undefined with `coalesceSaves: false`. */
  readonly #saves: SaveCoalescer | undefined;
  /** Gathers concurrent deletes; undefined with `coalesceDeletes: false`. */
  readonly #deletes: DeleteCoalescer | undefined;
  /** Gathers concurrent replaces without an owner; undefined with `coalesceReplaces: false`. */
  readonly #replaces: ReplaceCoalescer | undefined;
  /**
   * With `encryptionKeys`: the sealed bytes behind data this store handed out (found) or
   * wrote with replace, by the data's object, so that a replace expecting that data can compare
   * the row with their digest rather than read the row first (see #knownSealed). Weak: an
   * entry lives as long as the caller keeps the data. Shared with the view by stored keys,
   * which replaces what `all()` found.
   */
  #sealedOf = new WeakMap<Uint8Array, Uint8Array>();
  #byStoredKey: PGStore | undefined;
  #closed = false;

  constructor(db: SessionDatabase, options: PGStoreOptions = {}) {
    checkOptionNames('PGStore', options, OPTION_NAMES);
    const interval = options.cleanupInterval ?? DEFAULT_CLEANUP_INTERVAL;
    checkRange('cleanupInterval', interval, { min: 0, max: MAX_TIMER_MS, unit: 'milliseconds' });
    if (interval > 0 && interval < MIN_CLEANUP_INTERVAL) {
      throw new RangeError(
        `drizzle-pgstore: cleanupInterval is ${interval} ms: a cleanup every few milliseconds cannot be meant; ` +
          `give at least ${MIN_CLEANUP_INTERVAL} (it counts milliseconds: 300_000 is 5 minutes), or 0 to turn cleanup off`,
      );
    }
    const jitter = options.cleanupJitter ?? 0;
    checkRange('cleanupJitter', jitter, { min: 0, max: 1, integer: false });
    this.#batchSize = options.cleanupBatchSize ?? DEFAULT_BATCH_SIZE;
    checkRange('cleanupBatchSize', this.#batchSize, { min: 1, max: Number.MAX_SAFE_INTEGER });
    this.#maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
    checkRange('maxDataBytes', this.#maxDataBytes, { min: 1, max: MAX_BYTEA_BYTES - SEAL_OVERHEAD, unit: 'bytes', note: 'PostgreSQL keeps at most 1 GB in a bytea' });
    if (options.onError !== undefined) checkFunction('onError', options.onError);
    this.#hashTokens = options.hashTokens ?? true;
    checkBoolean('hashTokens', this.#hashTokens);
    const preparedStatements = options.preparedStatements ?? true;
    checkBoolean('preparedStatements', preparedStatements);
    const coalesceFinds = options.coalesceFinds ?? true;
    checkBoolean('coalesceFinds', coalesceFinds);
    const coalesceSaves = options.coalesceSaves ?? true;
    checkBoolean('coalesceSaves', coalesceSaves);
    const coalesceDeletes = options.coalesceDeletes ?? true;
    checkBoolean('coalesceDeletes', coalesceDeletes);
    const coalesceReplaces = options.coalesceReplaces ?? true;
    checkBoolean('coalesceReplaces', coalesceReplaces);
    const skipLocked = options.cleanupSkipLocked ?? true;
    checkBoolean('cleanupSkipLocked', skipLocked);
    const readUnencrypted = options.readUnencrypted ?? false;
    checkBoolean('readUnencrypted', readUnencrypted);
    if (readUnencrypted && options.encryptionKeys === undefined) {
      throw new TypeError('drizzle-pgstore: readUnencrypted is for turning encryption on, so it needs encryptionKeys; give the keys, or leave readUnencrypted out');
    }
    this.#cipher = options.encryptionKeys === undefined ? undefined : new SessionCipher(options.encryptionKeys, { readUnencrypted });
    this.#onError = options.onError;
    if (typeof db?.select !== 'function' || typeof db.insert !== 'function') {
      throw new TypeError('drizzle-pgstore: PGStore needs a Drizzle PostgreSQL database, e.g. drizzle(pool)');
    }

    this.#db = db;
    this.#options = options;
    this.table = options.table ?? sessions;
    checkSessionsTable(this.table);
    this.#statements = buildStatements(db, this.table, preparedStatements, skipLocked);
    this.#finds = coalesceFinds ? this.#findCoalescer() : undefined;
    this.#saves = coalesceSaves ? this.#saveCoalescer() : undefined;
    this.#deletes = coalesceDeletes ? this.#deleteCoalescer() : undefined;
    this.#replaces = coalesceReplaces ? this.#replaceCoalescer() : undefined;
    this.#cleanup = new CleanupScheduler((signal) => this.deleteExpired({ signal }), {
      interval,
      jitter,
      onError: options.onError ?? reportCleanupError,
    });
    this.cleanup = this.#cleanup.status;
    this.#cleanup.start();
  }

  /**
   * The data of a live session, or `null` when the token is unknown, expired or empty.
   *
   * @example
   * ```ts
   * const bytes = await store.find(token);
   * if (bytes === null) return res.redirect('/login'); // unknown, expired or empty: never an error
   * ```
   */
  async find(token: string): Promise<Uint8Array | null> {
    this.#checkOpen('find');
    checkToken(token);
    if (token === '') return null;
    const key = this.#storedKey(token);
    const row = this.#finds
      ? await this.#finds.find(key, token, 'find')
      : (await this.#query('find', () => this.#statements.find.execute({ token: key }), { token, key }))[0];
    return row ? this.#opened(key, row.data) : null;
  }

  /**
   * The data of a live session and the expiry its row has now, in one query, or `null`
   * as with {@link find}. The expiry is the one `save` or a later `touch` wrote, so an
   * adapter can give the session the cookie expiry it really has.
   */
  async findWithExpiry(token: string): Promise<SessionWithExpiry | null> {
    this.#checkOpen('findWithExpiry');
    checkToken(token);
    if (token === '') return null;
    const key = this.#storedKey(token);
    const row = this.#finds
      ? await this.#finds.find(key, token, 'findWithExpiry')
      : await this.#query('findWithExpiry', () => this.#findOne(key, 'findWithExpiry'), { token, key });
    const data = row ? this.#opened(key, row.data) : null;
    return data === null ? null : { data, expiry: new Date(row!.expiryMs!) };
  }

  /**
   * Adds a session, or replaces the data and expiry of an existing one, in one upsert; with
   * `owner`, sets (or, with `null`, clears) the session's owner in the same statement. Saves
   * without an owner that wait at the same moment share one upsert (see `coalesceSaves`).
   *
   * @example
   * ```ts
   * await store.save(token, bytes, expiry, { owner: String(user.id) }); // at sign-in
   * await store.save(token, bytes, expiry); // later saves keep the owner
   * ```
   */
  async save(token: string, data: Uint8Array, expiry: Date, options: SaveOptions = {}): Promise<void> {
    this.#checkOpen('save');
    checkTokenToWrite(token);
    checkData(data, this.#maxDataBytes);
    checkExpiry(expiry);
    const owned = this.#ownerToWrite('save', options);
    const key = this.#storedKey(token);
    const written = this.#cipher ? this.#cipher.seal(key, data) : data;
    // With an owner the save goes alone (a batch would have to carry each row's owner mode),
    // and so does a big one (see MAX_BATCHED_DATA_BYTES).
    if (this.#saves && !owned && written.byteLength <= MAX_BATCHED_DATA_BYTES) {
      // Copies: the save waits for its batch, and the caller's bytes and Date are the caller's
      // to change meanwhile (the contract says a store keeps copies). Sealed bytes are a copy.
      return this.#saves.save(key, token, written === data ? new Uint8Array(data) : written, new Date(expiry));
    }
    const secrets = { token, key, data, othersData: [written], owner: owned?.owner ?? undefined };
    await this.#query(
      'save',
      () =>
        owned
          ? owned.statements.save.execute({ token: key, data: written, expiry, owner: owned.owner })
          : this.#statements.save.execute({ token: key, data: written, expiry }),
      secrets,
    );
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
  async replace(token: string, expected: Uint8Array, data: Uint8Array, expiry: Date, options: SaveOptions = {}): Promise<boolean> {
    this.#checkOpen('replace');
    checkTokenToWrite(token);
    checkData(expected, Number.MAX_SAFE_INTEGER);
    checkData(data, this.#maxDataBytes);
    checkExpiry(expiry);
    const owned = this.#ownerToWrite('replace', options);
    const key = this.#storedKey(token);
    if (!this.#cipher) return this.#swap(key, token, replaceDigest(expected), data, expiry, owned, data, [expected]);
    // The row holds a sealing of `expected` that no one can make again (its nonce is random),
    // so the swap compares the digest of the sealed bytes. Those of a value this store handed
    // out or wrote are known; else, or when the row no longer holds them (it may hold another
    // sealing of the same data), the row is read and opened to compare.
    const sealed = this.#cipher.seal(key, data);
    const known = this.#knownSealed(key, expected);
    if (known !== null && (await this.#swap(key, token, replaceDigest(known), sealed, expiry, owned, data, [expected, known]))) return true;
    const current = await this.#currentSealed(key, token, expected);
    return current !== null && this.#swap(key, token, replaceDigest(current), sealed, expiry, owned, data, [expected, current]);
  }

  /**
   * Removes a session. An unknown or empty token is not an error. Deletes that wait at the
   * same moment share one statement (see `coalesceDeletes`).
   */
  async delete(token: string): Promise<void> {
    this.#checkOpen('delete');
    checkToken(token);
    if (token === '') return;
    const key = this.#storedKey(token);
    if (this.#deletes) return this.#deletes.delete(key, token);
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
    checkRange('minChange', minChange, { min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'milliseconds' });
    if (token === '') return false;
    const key = this.#storedKey(token);
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

  /** Every live session, by token (by its hash with `hashTokens`). Empty when there are none. */
  async all(): Promise<Map<string, Uint8Array>> {
    this.#checkOpen('all');
    const rows = await this.#query('all', () => this.#statements.all.execute());
    const live = new Map<string, Uint8Array>();
    for (const row of rows) {
      const data = this.#opened(row.token, row.data);
      if (data !== null) live.set(row.token, data);
    }
    return live;
  }

  /** The tokens of every live session (their hashes with `hashTokens`). */
  async tokens(): Promise<string[]> {
    this.#checkOpen('tokens');
    const rows = await this.#query('tokens', () => this.#statements.tokens.execute());
    return rows.map((row) => row.token);
  }

  /** How many live sessions there are, counted in the database. */
  async count(): Promise<number> {
    this.#checkOpen('count');
    const [row] = await this.#query('count', () => this.#statements.count.execute());
    return row?.live ?? 0;
  }

  /** Deletes every session, live or expired: everyone is signed out. */
  async clear(): Promise<void> {
    this.#checkOpen('clear');
    await this.#query('clear', () => this.#statements.clear.execute());
  }

  /**
   * The live sessions of an owner (a string, or a whole number or bigint, which is taken as
   * its decimal text: `42` and `'42'` are one owner), the latest expiry first: where a user is signed in. Each
   * has its key (the token, or its hash with `hashTokens`), data and expiry; the one whose
   * token is `current` is marked. Show devices from what the data holds, never the key.
   *
   * @example
   * ```ts
   * const devices = await store.sessionsOf(userId, { current: token });
   * ```
   */
  async sessionsOf(of: Owner, options: SessionsOfOptions = {}): Promise<OwnedSession[]> {
    this.#checkOpen('sessionsOf');
    const owner = ownerText(of);
    checkOptionNames('sessionsOf', options, ['current']);
    if (options.current !== undefined) checkToken(options.current);
    const statements = this.#ownerStatements('sessionsOf');
    const current = options.current ? this.#storedKey(options.current) : undefined;
    const rows = await this.#query('sessionsOf', () => statements.sessionsOf.execute({ owner }), {
      owner,
      token: options.current,
      key: current,
    });
    return rows.flatMap((row) => {
      const data = this.#opened(row.key, row.data);
      return data === null ? [] : [{ key: row.key, data, expiry: new Date(row.expiryMs), current: row.key === current }];
    });
  }

  /**
   * Ends every session of an owner (as {@link sessionsOf} takes it) in one statement, all but the one whose token is `except`
   * if given, and resolves to how many live sessions ended. A session saved for the owner
   * before the call began does not survive it.
   *
   * @example
   * ```ts
   * // "Sign out everywhere else", e.g. after a password change:
   * const ended = await store.deleteOwner(userId, { except: token });
   * ```
   */
  async deleteOwner(of: Owner, options: DeleteOwnerOptions = {}): Promise<number> {
    this.#checkOpen('deleteOwner');
    const owner = ownerText(of);
    checkOptionNames('deleteOwner', options, ['except']);
    if (options.except !== undefined) checkToken(options.except);
    const statements = this.#ownerStatements('deleteOwner');
    const except = options.except ? this.#storedKey(options.except) : '';
    const [row] = await this.#query('deleteOwner', () => statements.deleteOwner.execute({ owner, except }), {
      owner,
      token: options.except,
      key: except,
    });
    return row?.live ?? 0;
  }

  /**
   * Deletes expired rows now, in batches of `cleanupBatchSize`, and returns how many went.
   * Batches lock only rows that no other cleaner holds (`FOR UPDATE SKIP LOCKED`), so
   * several instances may clean one table at once without waiting on each other.
   *
   * @example
   * ```ts
   * // From a cron job: give up after a minute, reporting as it goes.
   * const removed = await store.deleteExpired({ signal: AbortSignal.timeout(60_000), onProgress: (n) => console.log(n) });
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
   * Moves every live session to the first of `encryptionKeys` now, in batches, rather than as
   * each is next written: the step of a key rotation before the old key is dropped. Safe
   * beside live traffic (a row is rewritten only if it still holds what the batch read, so a
   * session saved meanwhile keeps what was saved) and safe to stop and run again (rows already
   * on the current key are skipped). Rows no key opens are counted and left alone. With
   * `readUnencrypted`, unencrypted rows are encrypted too (and counted in `encrypted`). The
   * command `npx drizzle-pgstore reencrypt` runs it.
   *
   * @example
   * ```ts
   * const store = new PGStore(db, { encryptionKeys: [newKey, oldKey] });
   * const { moved, unreadable } = await store.reencrypt({ onProgress: (p) => console.log(p.moved) });
   * ```
   */
  async reencrypt(options: ReencryptOptions = {}): Promise<ReencryptProgress> {
    this.#checkOpen('reencrypt');
    checkOptionNames('reencrypt', options, ['batchSize', 'signal', 'onProgress']);
    if (options.batchSize !== undefined) checkRange('batchSize', options.batchSize, { min: 1, max: 100_000 });
    if (options.onProgress !== undefined) checkFunction('onProgress', options.onProgress);
    if (!this.#cipher) throw new TypeError('drizzle-pgstore: reencrypt needs a store made with encryptionKeys');
    return reencryptRows(this.#db, this.table, this.#cipher, (run, batch) =>
      this.#query('reencrypt', run, { others: batch.keys, othersData: batch.data }),
    options);
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
    return this.#cleanup.stop();
  }

  /**
   * The same table, addressed by the keys `all()` and `tokens()` give rather than by tokens:
   * with `hashTokens`, those keys are hashes, which must not be hashed again. For
   * `SessionManager.iterate`, which changes sessions it found through `all()`.
   * @internal
   */
  [byStoredKey](): SessionStore {
    if (!this.#hashTokens) return this;
    if (this.#byStoredKey === undefined) {
      this.#byStoredKey = new PGStore(this.#db, { ...this.#options, hashTokens: false, cleanupInterval: 0 });
      // It replaces what this store's all() handed out: the sealed bytes behind them are known.
      this.#byStoredKey.#sealedOf = this.#sealedOf;
    }
    return this.#byStoredKey;
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
    await Promise.all([this.#cleanup.stop(), this.#byStoredKey?.close()]);
  }

  /** The session data a row holds: as stored, or opened with the keys; null (reported) when no key opens it. */
  #opened(key: string, stored: Uint8Array): Uint8Array | null {
    if (!this.#cipher) return stored;
    const opened = this.#cipher.open(key, stored);
    if (typeof opened !== 'string') {
      // A replace that expects this data can then swap on the digest of `stored` without a read.
      this.#sealedOf.set(opened, stored);
      return opened;
    }
    const error = new UnreadableSessionDataError(opened);
    if (this.#onError) this.#onError(error);
    else console.error(error.message);
    return null;
  }

  /**
   * One compare-and-swap: writes `written` if the live row's data hashes to `digest`, through
   * the coalescer when it may go in a batch. `data` is the caller's unsealed data, remembered
   * with what was written on an encrypted store, so that a later replace expecting it needs
   * no read. `old` holds the bytes the row is expected to hold (and their sealing): a failure
   * may quote the row, so they are scrubbed from its error too.
   */
  async #swap(
    key: string,
    token: string,
    digest: Uint8Array,
    written: Uint8Array,
    expiry: Date,
    owned: OwnerToWrite | undefined,
    data: Uint8Array,
    old: readonly Uint8Array[],
  ): Promise<boolean> {
    // With an owner the replace goes alone, as a save does, and so does a big one (see MAX_BATCHED_DATA_BYTES).
    const replaced =
      this.#replaces && !owned && written.byteLength <= MAX_BATCHED_DATA_BYTES
        ? // Copies: the caller's bytes and Date are the caller's to change while the replace waits.
          await this.#replaces.replace({ key, token, digest, data: written === data ? new Uint8Array(data) : written, expiry: new Date(expiry), old })
        : (
            await this.#query(
              'replace',
              () =>
                owned
                  ? owned.statements.replace.execute({ token: key, digest, data: written, expiry, owner: owned.owner })
                  : this.#statements.replace.execute({ token: key, digest, data: written, expiry }),
              { token, key, data, othersData: [written, digest, ...old], owner: owned?.owner ?? undefined },
            )
          ).length > 0;
    if (replaced && written !== data) this.#sealedOf.set(data, written);
    return replaced;
  }

  /**
   * The sealed bytes behind `expected`, when this store handed out or wrote `expected` and it
   * still holds what they open to (the caller may have changed it); else null.
   */
  #knownSealed(key: string, expected: Uint8Array): Uint8Array | null {
    const sealed = this.#sealedOf.get(expected);
    if (sealed === undefined) return null;
    const opened = this.#cipher!.open(key, sealed);
    return typeof opened !== 'string' && Buffer.from(opened).equals(expected) ? sealed : null;
  }

  /** The live row's sealed bytes if they open to `expected`; null when they do not (or it is gone, or unreadable). */
  async #currentSealed(key: string, token: string, expected: Uint8Array): Promise<Uint8Array | null> {
    const row = await this.#query('replace', () => this.#findOne(key, 'find'), { token, key });
    if (row === null) return null;
    const opened = this.#opened(key, row.data);
    return opened !== null && Buffer.from(opened).equals(expected) ? row.data : null;
  }

  /** One find through its single-token statement. */
  #findOne(key: string, method: WaitingFind['method']): Promise<FoundRow | null> {
    const statement = method === 'find' ? this.#statements.find : this.#statements.findWithExpiry;
    return statement.execute({ token: key }).then(firstOrNull);
  }

  #findCoalescer(): FindCoalescer {
    return new FindCoalescer({
      // A batch goes again as a lone call does: one dead connection would fail every caller in it.
      findOne: (find) => this.#resend(find.method, () => this.#findOne(find.key, find.method)),
      findMany: (keys, withExpiry) =>
        this.#resend('find', () => (withExpiry ? this.#statements.findManyWithExpiry : this.#statements.findMany).execute({ tokens: keys })),
      failure: (error, find, batch) => queryError(find.method, error, batchSecrets(find, batch)),
    });
  }

  #saveCoalescer(): SaveCoalescer {
    return new SaveCoalescer({
      saveOne: ({ key, data, expiry }) => this.#resend('save', () => this.#statements.save.execute({ token: key, data, expiry })),
      saveMany: ({ keys, data, expiries }) =>
        this.#resend('save', () => this.#statements.saveMany.execute(saveManyParams(keys, data, expiries))),
      // A batch's error may quote any of its rows' data too.
      failure: (error, save, batch) =>
        queryError('save', error, {
          ...batchSecrets(save, batch),
          data: save.data,
          othersData: batch.map((other) => other.data),
        }),
    });
  }

  #replaceCoalescer(): ReplaceCoalescer {
    return new ReplaceCoalescer({
      // Goes again only when the failure proves it never reached the server, as a lone replace (see resendOf).
      replaceOne: ({ key, digest, data, expiry }) =>
        this.#resend('replace', () => this.#statements.replace.execute({ token: key, digest, data, expiry })).then((rows) => rows.length > 0),
      replaceMany: ({ keys, digests, data, expiries }) =>
        this.#resend('replace', () => this.#statements.replaceMany.execute(replaceManyParams(keys, digests, data, expiries))),
      // A batch's error may quote any of its rows' data or digests too.
      failure: (error, call, batch) =>
        queryError('replace', error, {
          ...batchSecrets(call, batch),
          data: call.data,
          othersData: batch.flatMap((other) => [other.data, other.digest, ...other.old]),
        }),
    });
  }

  #deleteCoalescer(): DeleteCoalescer {
    return new DeleteCoalescer({
      deleteOne: (key) => this.#resend('delete', () => this.#statements.delete.execute({ token: key })),
      deleteMany: (keys) => this.#resend('delete', () => this.#statements.deleteMany.execute({ tokens: keys })),
      failure: (error, call, batch) => queryError('delete', error, batchSecrets(call, batch)),
    });
  }

  /** What the table keys a token by: the token, or its hash with `hashTokens`. */
  #storedKey(token: string): string {
    return this.#hashTokens ? hashToken(token) : token;
  }

  /**
   * Runs one of the store's queries. Every query goes through here, so that a failure
   * leaves the store as a StoreQueryError holding none of the call's secrets, and so that
   * a query its connection failed under goes once more when `method` allows (see resendOf).
   */
  async #query<T>(method: string, run: () => Promise<T>, secrets?: CallSecrets): Promise<T> {
    try {
      return await this.#resend(method, run);
    } catch (error) {
      throw queryError(method, error, secrets);
    }
  }

  /** Runs a statement of `method`, once more if its connection failed and `method` allows (see resendOf). */
  #resend<T>(method: string, run: () => Promise<T>): Promise<T> {
    return sendWithResend(run, resendOf(method), this.#probe);
  }

  /**
   * What a write says of the owner: nothing (undefined, so the row keeps its owner), or the
   * owner to write (null clears it) with the statements that write it.
   */
  #ownerToWrite(method: string, options: SaveOptions): OwnerToWrite | undefined {
    checkOptionNames(method, options, SAVE_OPTION_NAMES);
    const given: unknown = options.owner;
    if (given === undefined) return undefined;
    const owner = given === null ? null : ownerText(given);
    return { owner, statements: this.#ownerStatements(method) };
  }

  /** The owner column's statements, or an error that says how to add the column. */
  #ownerStatements(method: string): NonNullable<Statements['owner']> {
    if (this.#statements.owner) return this.#statements.owner;
    const name = getTableName(this.table);
    throw new TypeError(
      `drizzle-pgstore: ${method} needs an owner column, and the table "${name}" is defined without one: ` +
        `define it with defineSessionsTable('${name}', { owner: true }), then add the column with ` +
        `drizzle-kit generate and migrate (or, for the shipped table, npx drizzle-pgstore migrate --owner)`,
    );
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw new StoreClosedError(method);
  }
}
