/**
 * Sessions for React Router (7 and 8) and Remix: a `SessionStorage` whose `getSession`,
 * `commitSession` and `destroySession` give and take React Router's own `Session` objects,
 * committed through a {@link SessionManager} over a {@link PGStore}. Only this entry point
 * (`drizzle-pgstore/react-router`) loads React Router.
 */
import { createCookie, createSession, isCookie, type Session, type SessionData, type SessionStorage } from 'react-router';
import { SessionManager } from '../manager/manager.js';
import type { SessionCookie } from '../manager/cookie.js';
import { checkOptionNames } from '../input.js';
import type { Owner, SessionStore } from '../session-store.js';
import { changesSince, snapshot, type Snapshot } from './react-router/changes.js';

type RouterCookie = NonNullable<Parameters<typeof createCookie>[1]> & { name?: string };
type SerializeOptions = Parameters<SessionStorage['commitSession']>[1];
type ManagedSession = Awaited<ReturnType<SessionManager['loadToken']>>;

/**
 * Options of {@link createPGSessionStorage}.
 *
 * @example
 * ```ts
 * const options: PGSessionStorageOptions = { store, cookie: createCookie('__session', { secrets: [secret], secure: true }) };
 * ```
 */
export interface PGSessionStorageOptions<Data = SessionData> {
  /** Where sessions are kept: a PGStore. */
  store: SessionStore;
  /**
   * React Router's cookie (`createCookie`), or its options. Give it `secrets`: a signed
   * cookie brings back only ids this storage issued. Its `maxAge` is the default `lifetime`,
   * and makes the cookie outlive the browser; without one the cookie is a browser-session one.
   */
  cookie?: ReturnType<typeof createCookie> | RouterCookie;
  /**
   * Milliseconds a session lives from its first commit, however it is used. Default the
   * cookie's `maxAge`, else 24 hours. A commit given its own `maxAge` or `expires`
   * (`commitSession(session, { maxAge })`, "remember me") moves the end there.
   */
  lifetime?: number;
  /** A session not used for this long ends sooner; 0 (the default) turns it off. Milliseconds. */
  idleTimeout?: number;
  /**
   * With `idleTimeout`: how far the stored expiry may lag before an unchanged commit moves it
   * (one write). Default a tenth of `idleTimeout`, at most a minute.
   */
  touchAfter?: number;
  /**
   * Who a session belongs to, from its data, e.g. `(data) => data.userId`: written with every
   * commit that writes the row (`null` or `undefined` clears it), for `store.sessionsOf` and
   * `store.deleteOwner`. Needs a table with an owner column (`defineSessionsTable(name, { owner: true })`).
   * Default: none; commits leave the owner as it is.
   */
  ownerOf?: (data: Partial<Data>) => Owner | null | undefined;
  /**
   * Told of what the storage answers on its own without failing the request: a stored session
   * it cannot read (the visitor gets a new one), a commit whose session another request ended
   * meanwhile (the change is dropped). Default: one line on stderr. Never given a token or data.
   */
  onError?: (error: Error) => void;
}

/** Every option createPGSessionStorage takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({
  store: true,
  cookie: true,
  lifetime: true,
  idleTimeout: true,
  touchAfter: true,
  ownerOf: true,
  onError: true,
} satisfies Record<keyof PGSessionStorageOptions, true>);

const DAY = 86_400_000;
/** A commit's own `maxAge`/`expires` moves the session's end only when it moves it by more than this: not a write per request. */
const DEADLINE_SLACK = 60_000;

/** When a commit's own `maxAge` or `expires` says the session should end, as React Router reads them. */
function endAskedFor(options: SerializeOptions): number | undefined {
  if (options?.maxAge != null) return Date.now() + options.maxAge * 1000;
  return options?.expires?.getTime();
}

/** What this storage knows of a session it gave out: the manager's session and the data as last loaded or written. */
interface Tracked {
  managed: ManagedSession;
  base: Snapshot;
}

/**
 * A React Router `SessionStorage` whose sessions are rows of a sessions table, a drop-in for
 * `createCookieSessionStorage` code. A commit writes only what changed, as the
 * SessionManager does: a session nothing was set in gets no row and no cookie, an unchanged
 * one writes nothing, and a changed one plays its changes (keys set, unset, flashes read)
 * onto the row as it is now, so concurrent requests keep each other's changes and a
 * destroyed session is not written again. `commitSession` then returns `''`: an empty
 * `Set-Cookie`, which browsers ignore. Session ids are 32 random bytes in base64url; data is
 * JSON that keeps `Date`s, in the manager's format, so a SessionManager on the same table
 * reads the same sessions.
 *
 * @example
 * ```ts
 * export const { getSession, commitSession, destroySession } = createPGSessionStorage({
 *   store: new PGStore(db),
 *   cookie: createCookie('__session', { secrets: [process.env.SESSION_SECRET!], httpOnly: true, secure: true, maxAge: 7 * 86_400 }),
 * });
 * ```
 */
export function createPGSessionStorage<Data = SessionData, FlashData = Data>(
  options: PGSessionStorageOptions<Data>,
): SessionStorage<Data, FlashData> {
  checkOptionNames('createPGSessionStorage', options, OPTION_NAMES);
  const { store, cookie: cookieOption, lifetime, idleTimeout, touchAfter, ownerOf, onError } = options;
  for (const method of ['findWithExpiry', 'save', 'replace', 'delete', 'touch'] as const) {
    if (typeof store?.[method] !== 'function') {
      throw new TypeError(`drizzle-pgstore: createPGSessionStorage needs a store with ${method}(), such as a PGStore`);
    }
  }
  const cookie = isCookie(cookieOption) ? cookieOption : createCookie(cookieOption?.name ?? '__session', cookieOption);
  // A cookie with maxAge (or expires) outlives the browser, and says how long a session lives.
  const persistent = cookie.expires !== undefined;
  const cookieLifetime = persistent ? Math.round((cookie.expires!.getTime() - Date.now()) / 1000) * 1000 : 0;
  const manager = new SessionManager<Record<string, unknown>>(store, {
    lifetime: lifetime ?? (cookieLifetime > 0 ? cookieLifetime : DAY),
    cookie: { persist: persistent },
    ...(idleTimeout !== undefined && { idleTimeout }),
    ...(touchAfter !== undefined && { touchAfter }),
    ...(ownerOf !== undefined && { ownerOf: ownerOf as (values: Record<string, unknown>) => Owner | null | undefined }),
    ...(onError !== undefined && { onError }),
  });
  const tracked = new WeakMap<object, Tracked>();

  /** This storage's record of `session`; a brand-new session made with `createSession()` is taken in as new. */
  async function trackedOf(session: Session<Data, FlashData>, method: string): Promise<Tracked> {
    const known = tracked.get(session);
    if (known !== undefined) return known;
    if (session?.id !== '') throw new TypeError(`drizzle-pgstore: ${method} takes a session from this storage's getSession`);
    const adopted = { managed: await manager.loadToken(null), base: snapshot({}) };
    tracked.set(session, adopted);
    return adopted;
  }

  /** The Set-Cookie for a commit: the token signed as React Router signs it, with the lifetime the manager gave it. */
  const serialize = ({ value, options: { maxAge, expires } }: SessionCookie, serializeOptions: SerializeOptions) =>
    cookie.serialize(value, { ...serializeOptions, ...(maxAge !== undefined && expires !== undefined && { maxAge, expires }) });

  // Empty and expired both ways, so no Max-Age from the cookie's own options keeps it alive.
  const forget = (serializeOptions: SerializeOptions) => cookie.serialize('', { ...serializeOptions, maxAge: 0, expires: new Date(0) });

  return {
    async getSession(cookieHeader, parseOptions) {
      const id: unknown = cookieHeader ? await cookie.parse(cookieHeader, parseOptions) : null;
      // A signed cookie with a bad signature parses as null, garbage as {}: neither costs a query.
      const managed = await manager.loadToken(typeof id === 'string' ? id : null);
      const data = Object.fromEntries(managed.keys().map((key) => [key, managed.get(key)]));
      const session = createSession<Data, FlashData>(data as Data, managed.token ?? '');
      tracked.set(session, { managed, base: snapshot(data) });
      return session;
    },

    async commitSession(session, serializeOptions) {
      const entry = await trackedOf(session, 'commitSession');
      const { managed } = entry;
      const data = session.data as Record<string, unknown>;
      // Every value is checked (and a bad one named) before anything changes.
      const changes = changesSince(entry.base, data);
      for (const change of changes) {
        if (change.kind === 'set') managed.set(change.key, change.value);
        else managed.delete(change.key);
      }
      const ends = endAskedFor(serializeOptions);
      // A session that has nothing and is given an end still has nothing: no row for a passer-by.
      const begun = managed.token !== null || managed.status === 'modified';
      if (ends !== undefined && begun && ends <= Date.now()) {
        // A commit that expires the cookie ends the session.
        managed.destroy();
        await manager.commitCookie(managed);
        entry.base = snapshot({});
        return forget(serializeOptions);
      }
      if (ends !== undefined && begun && ends > Date.now() && Math.abs(ends - managed.deadline.getTime()) > DEADLINE_SLACK) {
        managed.setDeadline(new Date(ends));
        // A browser-session cookie asked to last (remember me) keeps its Max-Age from now on.
        if (!persistent) managed.rememberMe(true);
      }
      const set = await manager.commitCookie(managed);
      entry.base = snapshot(data);
      // Nothing to set (nothing changed, nothing begun, or another request ended the session):
      // an empty header, rather than one that could overwrite a newer cookie of this browser.
      return set === null ? '' : serialize(set, serializeOptions);
    },

    async destroySession(session, serializeOptions) {
      const entry = await trackedOf(session, 'destroySession');
      entry.managed.destroy();
      await manager.commitCookie(entry.managed);
      entry.base = snapshot({});
      return forget(serializeOptions);
    },
  };
}
