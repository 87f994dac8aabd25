/**
 * The store that express-session and @fastify/session take, over any {@link SessionStore}
 * (a {@link PGStore}, say).
 */
import session from 'express-session';
import type { SessionData } from 'express-session';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeValue } from '../input.js';
import { SessionConflictError } from '../manager/manager.js';
import { LoadedSessions, type Loaded } from './loaded.js';
import { resolveExpressOptions, type ExpressSessionStoreOptions, type ResolvedExpressOptions } from './options.js';
import { readSession } from './read.js';
import { keyChanges, replayChanges } from './replay.js';
import type { Owner, SaveOptions, SessionStore } from '../session-store.js';

/** One of an owner's sessions, as {@link ExpressSessionStore.sessionsOf} lists them. */
export interface OwnedExpressSession {
  /** The session as express-session keeps it. */
  session: SessionData;
  /** When its row expires. */
  expiry: Date;
  /** Whether it is the session whose id was given as `current`. */
  current: boolean;
}

/** What express-session hands each method: an error first, then the result. */
type SessionCallback<T> = (error: unknown, result?: T) => void;

const utf8 = new TextEncoder();
const utf8Text = new TextDecoder();

/** Whether a cookie has an expiry at all: a browser-session cookie (no maxAge) has none. */
const hasExpiry = (expires: unknown) => expires !== null && expires !== undefined && expires !== false;

/** A part of a cookie's expiry that may arrive as a Date, or as text or a number once serialised. */
function cookieExpiry(data: SessionData): Date | null {
  const expires: unknown = data?.cookie?.expires;
  if (!hasExpiry(expires)) return null;
  const date = expires instanceof Date ? expires : new Date(expires as string | number);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Sessions whose loaded expiry is kept at once: far more than requests in flight, so a
 * request's touch finds its get's entry; gets never followed by a touch or set (a request
 * that failed) cannot make it grow without bound.
 */
const MAX_REMEMBERED = 10_000;

/** The methods of a {@link SessionStore} this adapter calls. */
const USED_METHODS = [
  'findWithExpiry',
  'save',
  'replace',
  'delete',
  'touch',
  'all',
  'tokens',
  'count',
  'clear',
] as const satisfies ReadonlyArray<keyof SessionStore>;

/** Refuses what is not a store, or a store that lacks a method this adapter calls, naming what it lacks. */
function checkSessionStore(store: unknown): asserts store is SessionStore {
  const needs = 'drizzle-pgstore: ExpressSessionStore needs a SessionStore such as a PGStore';
  if (typeof store !== 'object' || store === null) throw new TypeError(`${needs}, got ${describeValue(store)}`);
  const missing = USED_METHODS.filter((method) => typeof (store as Record<string, unknown>)[method] !== 'function');
  if (missing.length > 0) throw new TypeError(`${needs}; this one has no ${missing.map((method) => `${method}()`).join(', ')}`);
}

/**
 * Settles `work` both ways express-session and promise users expect: the callback, when
 * given, is called once with the outcome outside the promise chain (so a throw in it is
 * not swallowed), and the returned promise carries the same outcome without ever being
 * reported as an unhandled rejection in that case.
 */
function settle<T>(work: Promise<T>, callback: SessionCallback<T> | undefined): Promise<T> {
  if (callback) {
    work.then(
      (result) => process.nextTick(callback, null, result),
      (error: unknown) => process.nextTick(callback, error),
    );
  }
  return work;
}

/**
 * An express-session store (it works unchanged with @fastify/session) that keeps
 * sessions in a {@link SessionStore} such as a {@link PGStore}: each session as JSON in
 * UTF-8 bytes, expiring with its cookie (or after `ttl`). `touch` writes only when the
 * expiry would move by more than `touchAfter`, so unmodified requests cost no writes.
 *
 * Every method takes express-session's callback and also returns a promise.
 *
 * @example
 * ```ts
 * import session from 'express-session';
 * import { PGStore } from 'drizzle-pgstore';
 * import { ExpressSessionStore } from 'drizzle-pgstore/express';
 *
 * app.use(session({ store: new ExpressSessionStore(new PGStore(db)), secret, resave: false, saveUninitialized: false }));
 * ```
 */
export class ExpressSessionStore extends session.Store {
  /** The store sessions are kept in. */
  readonly store: SessionStore;
  readonly #options: ResolvedExpressOptions;
  /**
   * The expiry (ms) each session's row had when `get` last read it, kept until that
   * request's `touch` or `set`: a touch that would move it by too little to write decides
   * here, so an unmodified request costs one round trip, not two.
   */
  readonly #loadedExpiry = new Map<string, number>();
  /** What each session in flight was loaded from, so `set` can write it by compare-and-swap. */
  readonly #loaded = new LoadedSessions();

  constructor(store: SessionStore, options: ExpressSessionStoreOptions = {}) {
    super();
    checkSessionStore(store);
    this.store = store;
    this.#options = resolveExpressOptions(options);
  }

  /**
   * The live session with this id, or `null` when it is missing, expired or not one this
   * adapter can read. Such a row (another adapter's in a shared table, or damaged) is left as
   * it is and reported to `onUnreadable`. A cookie with an expiry gets the one the row has
   * now, which `touch` may have moved since the last `set`.
   */
  override get(sid: string, callback?: SessionCallback<SessionData | null>): Promise<SessionData | null> {
    return settle(this.#get(sid), callback);
  }

  /**
   * Stores a session, expiring with its cookie or after `ttl`. A session whose expiry
   * has passed is deleted instead.
   *
   * A session this request loaded is written only if its row still holds what was loaded
   * (compare-and-swap). When another request changed the row meanwhile, the top-level keys
   * this request added, changed or removed are played onto the row as it is now, and the
   * write is tried again (up to `maxCommitAttempts`), so concurrent requests keep each
   * other's changes. When the row is gone (destroyed, `deleteOwner`, expired), nothing is
   * written: the change is dropped, `onError` is told, and the session stays ended. A new or
   * regenerated session is saved as it is.
   */
  override set(sid: string, data: SessionData, callback?: SessionCallback<void>): Promise<void> {
    return settle(this.#set(sid, data), callback);
  }

  /** Deletes a session; a missing one is not an error. */
  override destroy(sid: string, callback?: SessionCallback<void>): Promise<void> {
    this.#loadedExpiry.delete(sid);
    return settle(this.store.delete(sid), callback);
  }

  /**
   * Slides a live session's expiry without rewriting its data, and only when it would move
   * by more than `touchAfter` (at most a tenth of the remaining lifetime). Resolves to
   * whether the row was written. Does nothing with `disableTouch`. After a `get` of the
   * same session, that get's expiry decides, with no query, when the move is too small to
   * write; otherwise the database decides.
   */
  override touch(sid: string, data: SessionData, callback?: SessionCallback<boolean>): Promise<boolean> {
    return settle(this.#touch(sid, data), callback);
  }

  /**
   * Every live session of this adapter, keyed as the store keeps it: by session id (by its
   * hash with a PGStore's `hashTokens`). Rows it cannot read as express sessions (another
   * adapter's in a shared table, or damaged ones) are left out, and left alone.
   */
  override all(callback?: SessionCallback<Record<string, SessionData>>): Promise<Record<string, SessionData>> {
    return settle(this.#all(), callback);
  }

  /** How many live sessions there are. */
  override length(callback?: SessionCallback<number>): Promise<number> {
    return settle(this.store.count(), callback);
  }

  /** Deletes every session: everyone is signed out. */
  override clear(callback?: SessionCallback<void>): Promise<void> {
    return settle(this.store.clear(), callback);
  }

  /** The ids of every live session, as the store keeps them (their hashes with a PGStore's `hashTokens`). */
  ids(callback?: SessionCallback<string[]>): Promise<string[]> {
    return settle(this.store.tokens(), callback);
  }

  async #get(sid: string): Promise<SessionData | null> {
    const found = await this.store.findWithExpiry(sid);
    if (found === null) return null;
    const data = this.#read(found.data);
    if (data instanceof Error) {
      // Not deleted: it may be another adapter's live session. It expires and goes with cleanup.
      this.#options.onUnreadable(sid, data);
      return null;
    }
    this.#loaded.mark(data, { sid, bytes: found.data });
    // touch moves the row's expiry but leaves the stored cookie as the last set wrote it, so
    // the row has the real expiry (and a valid one, where the stored text may not be). A
    // browser-session cookie (no maxAge) keeps having none. The type stays as stored.
    this.#remember(sid, found.expiry.getTime());
    const cookie = data.cookie as { expires?: unknown };
    if (hasExpiry(cookie.expires)) {
      cookie.expires = typeof cookie.expires === 'string' ? found.expiry.toISOString() : found.expiry;
    }
    return data;
  }

  /**
   * express-session builds each request's Session here from what `get` returned: the store
   * keeps which load it came from, for that request's `set`.
   */
  override createSession(req: Parameters<session.Store['createSession']>[0], data: SessionData): session.Session & session.SessionData {
    const built = super.createSession(req, data);
    this.#loaded.adopt(data, built);
    return built;
  }

  async #set(sid: string, data: SessionData): Promise<void> {
    this.#loadedExpiry.delete(sid);
    const expiry = this.#expiry(data);
    if (expiry.getTime() <= Date.now()) {
      await this.store.delete(sid);
      return;
    }
    const bytes = utf8.encode(this.#stringify(data));
    const loaded = this.#loaded.of(data);
    if (loaded === undefined || loaded.sid !== sid) {
      // A new session, or one regenerated under a new id: no row of its own to race with.
      await this.store.save(sid, bytes, expiry, this.#ownerOptions(data));
      this.#loaded.settle(data, { sid, bytes });
      return;
    }
    const written = await this.#replaceWithRetries(loaded, bytes, expiry, this.#ownerOptions(data));
    if (written !== null) this.#loaded.settle(data, { sid, bytes: written });
  }

  /**
   * Writes `bytes` over the row if it still holds what this request loaded; else plays this
   * request's key changes onto the row as it is now and tries again. Returns what was
   * written, or null when the row is gone: then nothing is written, so a session another
   * request ended stays ended.
   */
  async #replaceWithRetries(loaded: Loaded, bytes: Uint8Array, expiry: Date, owner: SaveOptions): Promise<Uint8Array | null> {
    const { maxCommitAttempts, onError } = this.#options;
    const { sid } = loaded;
    let base = loaded.bytes;
    let next = { bytes, expiry, owner };
    let changes: ReturnType<typeof keyChanges> | undefined;
    for (let attempt = 1; ; attempt++) {
      if (await this.store.replace(sid, base, next.bytes, next.expiry, next.owner)) return next.bytes;
      // Spread the racers out before they read again, so each reads the row as the last winner
      // left it and swaps soon after: a read before the wait would be stale when the swap goes.
      await sleep(Math.random() * Math.min(100, 2 ** attempt));
      const entry = await this.store.findWithExpiry(sid);
      const current = entry === null ? null : this.#read(entry.data);
      if (current === null || current instanceof Error) {
        onError(new SessionConflictError('drizzle-pgstore: a session ended by another request was not saved again'));
        return null;
      }
      if (attempt === maxCommitAttempts) break;
      // Parsed only on a race: the request that wins pays for no parse.
      const mine = this.#parse(bytes);
      changes ??= keyChanges(this.#parse(loaded.bytes), mine);
      const played = replayChanges(current as unknown as Record<string, unknown>, changes, mine.cookie) as unknown as SessionData;
      base = entry!.data;
      next = { bytes: utf8.encode(this.#stringify(played)), expiry: this.#expiry(played), owner: this.#ownerOptions(played) };
    }
    throw new SessionConflictError(
      `drizzle-pgstore: gave up saving a session after ${maxCommitAttempts} tries: other requests kept changing it`,
    );
  }

  /** The session's text, checked to be text. */
  #stringify(data: SessionData): string {
    const text = this.#options.serializer.stringify(data);
    if (typeof text !== 'string') {
      throw new TypeError(`drizzle-pgstore: serializer.stringify must return a string, got ${typeof text}`);
    }
    return text;
  }

  /** Bytes this adapter wrote (or loaded as its own), as the serializer gives them back. */
  #parse(bytes: Uint8Array): Record<string, unknown> {
    return this.#options.serializer.parse(utf8Text.decode(bytes)) as unknown as Record<string, unknown>;
  }

  /** With ownerOf, every write says who owns the session, so signing out clears it. */
  #ownerOptions(data: SessionData): SaveOptions {
    const { ownerOf } = this.#options;
    return ownerOf ? { owner: ownerOf(data) ?? null } : {};
  }

  /**
   * The live sessions of `owner` (see the `ownerOf` option), the latest expiry first, read
   * as express-session's `SessionData`: where a user is signed in. The one whose id is
   * `current` is marked; rows that are not this adapter's sessions are left out.
   *
   * @example
   * ```ts
   * const devices = await sessions.sessionsOf(req.session.userId, { current: req.sessionID });
   * // e.g. devices.map(({ session, current }) => `${session.userAgent}${current ? ' (this one)' : ''}`)
   * ```
   */
  async sessionsOf(owner: Owner, options: { current?: string } = {}): Promise<OwnedExpressSession[]> {
    const listed: OwnedExpressSession[] = [];
    for (const { key, data, expiry, current } of await this.store.sessionsOf(owner, options)) {
      const session = this.#read(data);
      if (!(session instanceof Error)) listed.push({ session, expiry, current });
    }
    return listed;
  }

  /**
   * Ends every session of `owner`, all but the one whose id is `except` if given ("sign out
   * everywhere else"), and resolves to how many live sessions ended.
   *
   * @example
   * ```ts
   * await sessions.deleteOwner(req.session.userId, { except: req.sessionID });
   * ```
   */
  deleteOwner(owner: Owner, options: { except?: string } = {}): Promise<number> {
    return this.store.deleteOwner(owner, options);
  }

  async #touch(sid: string, data: SessionData): Promise<boolean> {
    if (this.#options.disableTouch) return false;
    const expiry = this.#expiry(data);
    const remaining = expiry.getTime() - Date.now();
    // A session past its expiry is gone already, or will be at the next cleanup.
    if (remaining <= 0) return false;
    const minChange = Math.floor(Math.min(this.#options.touchAfterMs, remaining / 10));
    const loaded = this.#loadedExpiry.get(sid);
    this.#loadedExpiry.delete(sid);
    // The same test the store's touch makes in SQL, on the expiry this request's get read.
    if (loaded !== undefined && Math.abs(expiry.getTime() - loaded) <= minChange) return false;
    return this.store.touch(sid, expiry, { minChange });
  }

  /** Keeps the expiry a get read, for the touch of the same request; the oldest go first past the cap. */
  #remember(sid: string, expiryMs: number): void {
    this.#loadedExpiry.delete(sid);
    this.#loadedExpiry.set(sid, expiryMs);
    if (this.#loadedExpiry.size > MAX_REMEMBERED) this.#loadedExpiry.delete(this.#loadedExpiry.keys().next().value!);
  }

  async #all(): Promise<Record<string, SessionData>> {
    const result: Record<string, SessionData> = {};
    for (const [key, bytes] of await this.store.all()) {
      const data = this.#read(bytes);
      // Another adapter's row in a shared table, or a damaged one: not an express session, and
      // not reported row by row (a shared table would give one line per foreign row).
      if (!(data instanceof Error)) result[key] = data;
    }
    return result;
  }

  /** When a session expires: with its cookie when that has an expiry, else after `ttl`. */
  #expiry(data: SessionData): Date {
    return cookieExpiry(data) ?? new Date(Date.now() + this.#options.ttlMs(data));
  }

  /** The session in a row, or the reason it is not one of this adapter's. */
  #read(bytes: Uint8Array): SessionData | Error {
    return readSession(bytes, this.#options.serializer);
  }
}
