/**
 * SessionManager: SCS's session manager for Web-standard `Request` and `Response`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expiredCookie, readCookie, serializeCookie, sessionCookie, type SessionCookie } from './cookie.js';
import { resolveManagerOptions, type ResolvedManagerOptions, type SessionManagerOptions } from './options.js';

export type { SessionManagerOptions } from './options.js';
import { decodeRecord, encodeRecord, UnreadableSessionError } from './record.js';
import { withSessionCookie } from './response.js';
import { replay, Session, sessionInternals, type SessionInternals, type SessionRecord, type SessionState } from './session.js';
import type { SaveOptions, SessionStore } from '../session-store.js';
import { byStoredKey } from '../store/pg-store.js';
import { isTokenShaped, newToken } from './token.js';
import { describeType } from '../input.js';

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
  merged: [],
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
    return this.loadToken(readCookie(request.headers.get('cookie'), this.#options.cookie.name));
  }

  /**
   * The session of `token`, for frameworks that read cookies themselves (SCS's `Load`): a
   * new, empty session when there is no token, or its session is gone, expired or
   * unreadable. A value that is no token of ours costs no query.
   *
   * @example
   * ```ts
   * const session = await manager.loadToken((await cookies()).get('session')?.value);
   * ```
   */
  async loadToken(token: string | undefined | null): Promise<Session<Data>> {
    if (token !== undefined && token !== null && typeof token !== 'string') {
      throw new TypeError(`drizzle-pgstore: loadToken takes a string, undefined or null, got ${describeType(token)}`);
    }
    const found = token ? await this.#find(token) : null;
    if (found === null) return this.#newSession();
    const state = { ...freshState(), loadedToken: token!, loadedBytes: found.bytes, rowExpiry: found.expiry };
    return this.#session(token!, found.record, state);
  }

  /** The live, readable record of `token`, or null; a value that is no token of ours costs no query. */
  async #find(token: string): Promise<{ record: SessionRecord; bytes: Uint8Array; expiry: Date } | null> {
    if (!isTokenShaped(token)) return null;
    const entry = await this.#store.findWithExpiry(token);
    if (entry === null) return null;
    let record: SessionRecord;
    try {
      record = decodeRecord(this.#options.codec, entry.data);
    } catch (error) {
      if (!(error instanceof UnreadableSessionError)) throw error;
      this.#options.onError(error);
      return null;
    }
    // The row's expiry never passes the deadline when this manager wrote it; another writer might.
    if (record.deadline.getTime() <= Date.now()) return null;
    return { record, bytes: entry.data, expiry: entry.expiry };
  }

  /**
   * Saves what this request did to the session and returns `response` with the cookie it
   * needs. Use the returned Response: one with immutable headers (`Response.redirect`) is
   * copied. A response for an unchanged session is returned as it is, with no query.
   */
  async commit(session: Session<Data>, response: Response): Promise<Response> {
    if (!(session instanceof Session)) throw new TypeError('drizzle-pgstore: commit takes a Session from this manager');
    if (typeof response?.headers?.get !== 'function') throw new TypeError('drizzle-pgstore: commit takes a Response');
    const cookie = await this.commitCookie(session);
    return cookie === null ? response : withSessionCookie(response, serializeCookie(cookie));
  }

  /**
   * Saves what this request did to the session, like `commit`, and returns the cookie to
   * set: null when none must be (an unchanged session, with no query), an expired one for a
   * destroyed session. For frameworks that set cookies themselves.
   *
   * @example
   * ```ts
   * const cookie = await manager.commitCookie(session);
   * if (cookie) (await cookies()).set(cookie.name, cookie.value, cookie.options);
   * ```
   */
  async commitCookie(session: Session<Data>): Promise<SessionCookie | null> {
    if (!(session instanceof Session)) throw new TypeError('drizzle-pgstore: commitCookie takes a Session from this manager');
    return this.#write(session, this.#store);
  }

  /**
   * Copies the values of the session under `token` into `session` and ends that one (SCS's
   * `MergeSession`), e.g. to keep a cart after an OAuth round trip that began another
   * session. `session` keeps the later of the two deadlines. The other row is deleted when
   * `session` is committed, after it is saved. Nothing happens when `token` is `session`'s
   * own, or its session is gone, expired or unreadable.
   *
   * @example
   * ```ts
   * await manager.mergeSession(session, tokenFromBeforeTheRedirect);
   * ```
   */
  async mergeSession(session: Session<Data>, token: string): Promise<void> {
    if (!(session instanceof Session)) throw new TypeError('drizzle-pgstore: mergeSession takes a Session from this manager');
    if (typeof token !== 'string') throw new TypeError(`drizzle-pgstore: mergeSession takes a token string, got ${describeType(token)}`);
    const inner = sessionInternals(session);
    if (token === inner.token || token === inner.state.loadedToken) return;
    const found = await this.#find(token);
    if (found === null) return;
    for (const [key, value] of Object.entries(found.record.values)) session.set(key, value as Data[string]);
    if (found.record.deadline > inner.record.deadline) inner.record.deadline = found.record.deadline;
    inner.status = 'modified';
    inner.state.merged.push(token);
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
   * with `hashTokens`). Rows that are no session of a manager (another adapter's, sharing
   * the table, or damaged ones) are left as they are, and `onError` is told their number once.
   *
   * @example
   * ```ts
   * await manager.iterate(async (session) => { if (session.get('userId') === banned) session.destroy(); });
   * ```
   */
  async iterate(callback: (session: Session<Data>) => void | Promise<void>): Promise<void> {
    // With hashTokens, all() gives hashes: write back through a store that takes them as they are.
    const byKey = (this.#store as { [byStoredKey]?: () => SessionStore })[byStoredKey]?.() ?? this.#store;
    let foreign = 0;
    for (const [token, bytes] of await this.#store.all()) {
      let record: SessionRecord;
      try {
        record = decodeRecord(this.#options.codec, bytes);
      } catch (error) {
        if (!(error instanceof UnreadableSessionError)) throw error;
        foreign++;
        continue;
      }
      const state = { ...freshState(), loadedToken: token, loadedBytes: bytes };
      const session = this.#session(token, record, state);
      await callback(session);
      await this.#write(session, byKey);
    }
    if (foreign > 0) {
      this.#options.onError(
        new UnreadableSessionError(
          `drizzle-pgstore: iterate left ${foreign} row${foreign === 1 ? '' : 's'} alone that ${foreign === 1 ? 'is' : 'are'} no manager session (another adapter's in a shared table, or unreadable)`,
        ),
      );
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

  #cookie(token: string, record: SessionRecord, expiry: Date): SessionCookie {
    const persistent = record.rememberMe ?? this.#options.cookie.persist;
    return sessionCookie(this.#options.cookie, token, persistent ? expiry : null, Date.now());
  }

  /** Writes the session as its state says; returns the cookie it needs, if any. */
  async #write(session: Session<Data>, store: SessionStore): Promise<SessionCookie | null> {
    const inner = sessionInternals(session);
    const merged = inner.state.merged;
    const written = await this.#writeRow(inner, store);
    // A merged session goes only once what was copied from it is safe in this one.
    if (written !== 'dropped') for (const token of merged) await this.#store.delete(token);
    return written === 'dropped' ? null : written;
  }

  async #writeRow(inner: SessionInternals, store: SessionStore): Promise<SessionCookie | null | 'dropped'> {
    const { state, record } = inner;
    if (inner.status === 'unmodified') return this.#slide(inner, store);
    if (inner.status === 'destroyed') {
      if (state.loadedToken === null) return null;
      await store.delete(state.loadedToken);
      this.#settle(inner, null, null);
      return expiredCookie(this.#options.cookie);
    }
    const expiry = this.#expiry(record);
    if (state.loadedToken !== null && !state.dropLoaded) {
      const written = await this.#replaceWithRetries(inner, expiry, store);
      if (written === null) return 'dropped';
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
  async #slide(inner: SessionInternals, store: SessionStore): Promise<SessionCookie | null> {
    const { idleTimeout, touchAfter } = this.#options;
    const { state, record } = inner;
    if (idleTimeout === 0 || state.loadedToken === null || state.rowExpiry === null) return null;
    const expiry = this.#expiry(record);
    if (expiry.getTime() - state.rowExpiry.getTime() <= touchAfter) return null;
    if (!(await store.touch(state.loadedToken, expiry, { minChange: touchAfter }))) return null;
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
      // Spread the racers out before they read again, so each reads the row as the last winner
      // left it and swaps soon after: a read before the wait would be stale when the swap goes,
      // and each stale try costs a read and a write of the whole session.
      await sleep(Math.random() * Math.min(100, 2 ** attempt));
      const entry = await store.findWithExpiry(token);
      if (entry === null) {
        this.#options.onError(new SessionConflictError('drizzle-pgstore: a session ended by another request was not saved again'));
        return null;
      }
      base = entry.data;
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
