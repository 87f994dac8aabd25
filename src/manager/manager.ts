/**
 * SessionManager: SCS's session manager for Web-standard `Request` and `Response`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expiredCookie, readCookie, sessionCookie } from './cookie.js';
import { resolveManagerOptions, type ResolvedManagerOptions, type SessionManagerOptions } from './options.js';

export type { SessionManagerOptions } from './options.js';
import { decodeRecord, encodeRecord, UnreadableSessionError } from './record.js';
import { withSessionCookie } from './response.js';
import { replay, Session, sessionInternals, type SessionInternals, type SessionRecord, type SessionState } from './session.js';
import type { SaveOptions, SessionStore } from '../session-store.js';
import { byStoredKey } from '../store/pg-store.js';
import { isTokenShaped, newToken } from './token.js';

/**
 * A commit gave up: other requests kept changing the same session for `maxCommitAttempts`
 * tries. Names no token and no data.
 */
export class SessionConflictError extends Error {
  override readonly name = 'SessionConflictError';
}

/** A handler that gets the request's session and answers with a Response. */
export type SessionHandler<Data extends Record<string, unknown>> = (
  request: Request,
  session: Session<Data>,
) => Response | Promise<Response>;

const freshState = (): SessionState => ({
  loadedToken: null,
  loadedBytes: null,
  rowExpiry: null,
  changes: [],
  dropLoaded: false,
});

/**
 * Sessions for any framework that speaks Web `Request` and `Response` (Hono, React Router,
 * Bun, Deno, Next.js route handlers): `load` a request's session, change it, `commit` it
 * onto the response. A session is written only when it changed, or when sliding its idle
 * timeout is due, and a commit plays this request's changes onto the row as it is at that
 * moment, so two requests changing different keys at once both keep their change.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ userId: number }>(store, { idleTimeout: 30 * 60_000 });
 * export default {
 *   fetch: manager.handle(async (request, session) => {
 *     session.set('userId', 42);
 *     return new Response('signed in');
 *   }),
 * };
 * ```
 */
export class SessionManager<Data extends Record<string, unknown> = Record<string, unknown>> {
  readonly #store: SessionStore;
  readonly #options: ResolvedManagerOptions;

  constructor(store: SessionStore, options: SessionManagerOptions<Data> = {}) {
    for (const method of ['findWithExpiry', 'save', 'replace', 'delete', 'touch', 'all'] as const) {
      if (typeof store?.[method] !== 'function') {
        throw new TypeError(`drizzle-pgstore: SessionManager needs a store with ${method}(), such as a PGStore`);
      }
    }
    this.#store = store;
    this.#options = resolveManagerOptions(options);
  }

  /**
   * The session of `request`'s cookie; a new, empty session when there is no cookie, or its
   * session is gone, expired or unreadable. A cookie that is no token of ours costs no query.
   */
  async load(request: Request): Promise<Session<Data>> {
    if (typeof request?.headers?.get !== 'function') {
      throw new TypeError('drizzle-pgstore: SessionManager.load takes a Request');
    }
    const token = readCookie(request.headers.get('cookie'), this.#options.cookie.name);
    if (token === undefined || !isTokenShaped(token)) return this.#newSession();
    const entry = await this.#store.findWithExpiry(token);
    if (entry === null) return this.#newSession();
    let record: SessionRecord;
    try {
      record = decodeRecord(this.#options.codec, entry.data);
    } catch (error) {
      if (!(error instanceof UnreadableSessionError)) throw error;
      this.#options.onError(error);
      return this.#newSession();
    }
    // The row's expiry never passes the deadline when this manager wrote it; another writer might.
    if (record.deadline.getTime() <= Date.now()) return this.#newSession();
    const state = { ...freshState(), loadedToken: token, loadedBytes: entry.data, rowExpiry: entry.expiry };
    return this.#session(token, record, state);
  }

  /**
   * Saves what this request did to the session and returns `response` with the cookie it
   * needs. Use the returned Response: one with immutable headers (`Response.redirect`) is
   * copied. A response for an unchanged session is returned as it is, with no query.
   */
  async commit(session: Session<Data>, response: Response): Promise<Response> {
    if (!(session instanceof Session)) throw new TypeError('drizzle-pgstore: commit takes a Session from this manager');
    if (typeof response?.headers?.get !== 'function') throw new TypeError('drizzle-pgstore: commit takes a Response');
    const setCookie = await this.#write(session, this.#store);
    return setCookie === undefined ? response : withSessionCookie(response, setCookie);
  }

  /**
   * A fetch handler that loads the session, runs `handler`, and commits. When the handler
   * throws, nothing is committed and the error goes on.
   *
   * @example
   * ```ts
   * serve({ fetch: manager.handle(async (request, session) => new Response(`hi ${session.get('name')}`)) });
   * ```
   */
  handle(handler: SessionHandler<Data>): (request: Request) => Promise<Response> {
    return async (request) => {
      const session = await this.load(request);
      return this.commit(session, await handler(request, session));
    };
  }

  /**
   * Calls `callback` with every live session, one at a time; what it changes (or destroys)
   * is committed after it returns. The token of each is the one in the table (its hash,
   * with `hashTokens`).
   *
   * @example
   * ```ts
   * await manager.iterate(async (session) => { if (session.get('userId') === banned) session.destroy(); });
   * ```
   */
  async iterate(callback: (session: Session<Data>) => void | Promise<void>): Promise<void> {
    // With hashTokens, all() gives hashes: write back through a store that takes them as they are.
    const byKey = (this.#store as { [byStoredKey]?: () => SessionStore })[byStoredKey]?.() ?? this.#store;
    for (const [token, bytes] of await this.#store.all()) {
      let record: SessionRecord;
      try {
        record = decodeRecord(this.#options.codec, bytes);
      } catch (error) {
        if (!(error instanceof UnreadableSessionError)) throw error;
        this.#options.onError(error);
        continue;
      }
      const state = { ...freshState(), loadedToken: token, loadedBytes: bytes };
      const session = this.#session(token, record, state);
      await callback(session);
      await this.#write(session, byKey);
    }
  }

  #newSession(): Session<Data> {
    return this.#session(null, { values: {}, deadline: new Date(Date.now() + this.#options.lifetime) }, freshState());
  }

  #session(token: string | null, record: SessionRecord, state: SessionState): Session<Data> {
    const { codec, lifetime } = this.#options;
    // A value is kept as the codec will give it back, so a later change to the caller's
    // object is not silently stored, and a value the codec cannot hold fails at set().
    const copy = (key: string, value: unknown) => codec.decode(codec.encode({ [key]: value }))[key];
    return new Session<Data>({ token, status: 'unmodified', record, state, lifetime, copy });
  }

  /** When the row should expire: at the deadline, or sooner with an idle timeout. */
  #expiry(record: SessionRecord): Date {
    const { idleTimeout } = this.#options;
    const deadline = record.deadline.getTime();
    return new Date(idleTimeout > 0 ? Math.min(deadline, Date.now() + idleTimeout) : deadline);
  }

  #cookie(token: string, record: SessionRecord, expiry: Date): string {
    const persistent = record.rememberMe ?? this.#options.cookie.persist;
    return sessionCookie(this.#options.cookie, token, persistent ? expiry : null, Date.now());
  }

  /** Writes the session as its state says; returns the Set-Cookie it needs, if any. */
  async #write(session: Session<Data>, store: SessionStore): Promise<string | undefined> {
    const inner = sessionInternals(session);
    const { state, record } = inner;
    if (inner.status === 'unmodified') return this.#slide(inner, store);
    if (inner.status === 'destroyed') {
      if (state.loadedToken === null) return undefined;
      await store.delete(state.loadedToken);
      this.#settle(inner, null, null);
      return expiredCookie(this.#options.cookie);
    }
    const expiry = this.#expiry(record);
    if (state.loadedToken !== null && !state.dropLoaded) {
      const written = await this.#replaceWithRetries(inner, expiry, store);
      if (written === null) return undefined;
      this.#settle(inner, state.loadedToken, written, expiry);
      return this.#cookie(inner.token!, inner.record, expiry);
    }
    // A new row: a new session, a renewed one, or one destroyed and begun again.
    const token = inner.token ?? newToken();
    const bytes = encodeRecord(this.#options.codec, record);
    await store.save(token, bytes, expiry, this.#ownerOptions(record));
    if (state.dropLoaded && state.loadedToken !== null) await store.delete(state.loadedToken);
    this.#settle(inner, token, bytes, expiry);
    return this.#cookie(token, record, expiry);
  }

  /** An unchanged session: moves its idle expiry when that is due, else writes nothing. */
  async #slide(inner: SessionInternals, store: SessionStore): Promise<string | undefined> {
    const { idleTimeout, touchAfter } = this.#options;
    const { state, record } = inner;
    if (idleTimeout === 0 || state.loadedToken === null || state.rowExpiry === null) return undefined;
    const expiry = this.#expiry(record);
    if (expiry.getTime() - state.rowExpiry.getTime() <= touchAfter) return undefined;
    if (!(await store.touch(state.loadedToken, expiry, { minChange: touchAfter }))) return undefined;
    state.rowExpiry = expiry;
    return this.#cookie(state.loadedToken, record, expiry);
  }

  /**
   * Plays this request's changes onto the row as it is now and writes the result only if
   * the row still holds what it was played onto; on a race, reads the row again and plays
   * again. Returns the bytes written, or null when the row is gone (destroyed or renewed by
   * another request), in which case this request's changes are dropped rather than bring
   * back a session someone ended.
   */
  async #replaceWithRetries(inner: SessionInternals, expiry: Date, store: SessionStore): Promise<Uint8Array | null> {
    const { codec, maxCommitAttempts } = this.#options;
    const { state, record } = inner;
    const token = state.loadedToken!;
    let base = state.loadedBytes!;
    for (let attempt = 1; attempt <= maxCommitAttempts; attempt++) {
      const next = replay(decodeRecord(codec, base), state.changes);
      next.deadline = record.deadline;
      const bytes = encodeRecord(codec, next);
      if (await store.replace(token, base, bytes, expiry, this.#ownerOptions(next))) {
        inner.record = next;
        return bytes;
      }
      const entry = await store.findWithExpiry(token);
      if (entry === null) {
        this.#options.onError(new SessionConflictError('drizzle-pgstore: a session ended by another request was not saved again'));
        return null;
      }
      base = entry.data;
      // Spread the racers out, so each round has a winner and the losers do not all return at once.
      await sleep(Math.random() * Math.min(100, 2 ** attempt));
    }
    throw new SessionConflictError(
      `drizzle-pgstore: gave up saving a session after ${maxCommitAttempts} tries: other requests kept changing it`,
    );
  }

  /** The owner a write gives the row, when the manager has `ownerOf`; else nothing, so the row keeps its own. */
  #ownerOptions(record: SessionRecord): SaveOptions {
    const { ownerOf } = this.#options;
    return ownerOf ? { owner: ownerOf(record.values) ?? null } : {};
  }

  /** After a write: what was written is what a next commit of this session starts from. */
  #settle(inner: SessionInternals, token: string | null, bytes: Uint8Array | null, expiry: Date | null = null): void {
    inner.token = token;
    inner.status = 'unmodified';
    inner.state = { ...freshState(), loadedToken: token, loadedBytes: bytes, rowExpiry: expiry };
  }
}
