/**
 * What a request loaded of its session, found again when the middleware saves it, so that
 * `set` can compare-and-swap against those bytes without reading the row a second time.
 *
 * express-session hands the session `get` returned to `createSession(req, sess)`, which builds
 * the request's Session from it, and later calls `set(sid, thatSession)`: the store keeps the
 * Session it built. @fastify/session builds its Session from `get`'s result inside its own
 * hook, out of the store's sight, but spreads the loaded `cookie` into the cookie options it
 * keeps on that Session (own symbol keys included): a mark on the cookie `get` returns travels
 * there, and `set` finds it among the Session's own symbol-keyed objects.
 */
import type { SessionData } from 'express-session';

/** One load of a session: its id and the row's bytes at that moment (or as this request last wrote them). */
export interface Loaded {
  readonly sid: string;
  readonly bytes: Uint8Array;
}

/** A symbol, not a string key: for...in and JSON skip it, so it never reaches the session's data or the row. */
const MARK = Symbol('drizzle-pgstore: what this request loaded');

const isObject = (value: unknown): value is Record<PropertyKey, unknown> => typeof value === 'object' && value !== null;

/** The mark carried by an object, if it is one. */
const markOf = (value: unknown): Loaded | undefined => (isObject(value) ? (value[MARK] as Loaded | undefined) : undefined);

/** What each session object in flight stands on; weakly held, so a finished request leaves nothing behind. */
export class LoadedSessions {
  readonly #bySession = new WeakMap<object, Loaded>();

  /** Marks the data `get` returns as loaded from these bytes. */
  mark(data: SessionData, loaded: Loaded): void {
    this.#bySession.set(data, loaded);
    Object.defineProperty(data.cookie, MARK, { value: loaded, enumerable: true, configurable: true, writable: true });
  }

  /** express-session built `session` from `data`, which `get` returned. */
  adopt(data: SessionData, session: object): void {
    const loaded = this.of(data);
    if (loaded !== undefined) this.#bySession.set(session, loaded);
  }

  /** What `session` was loaded from, or last written as; undefined for a session no `get` gave. */
  of(session: object): Loaded | undefined {
    const known = this.#bySession.get(session) ?? markOf((session as { cookie?: unknown }).cookie);
    if (known !== undefined) return known;
    for (const key of Object.getOwnPropertySymbols(session)) {
      const carried = markOf((session as Record<symbol, unknown>)[key]);
      if (carried !== undefined) return carried;
    }
    return undefined;
  }

  /** After a write: a later `set` of the same session object in this request stands on what was written. */
  settle(session: object, loaded: Loaded): void {
    this.#bySession.set(session, loaded);
  }
}
