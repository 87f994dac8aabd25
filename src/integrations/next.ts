/**
 * Sessions for Next.js (App Router): one object that reads the session in Server Components
 * and changes it in Server Actions, Route Handlers and `proxy.ts`, through the cookie stores
 * Next gives there (`await cookies()`, `request.cookies`, `response.cookies`). Only types of
 * Next's shape are used: this entry point (`drizzle-pgstore/next`) loads nothing of Next.
 */
import { resolveCookieOptions, type SessionCookie } from '../manager/cookie.js';
import { SessionManager, type SessionManagerOptions } from '../manager/manager.js';
import type { Session } from '../manager/session.js';
import type { SessionStore } from '../session-store.js';

/** What reads a cookie: `await cookies()`, or `request.cookies` in `proxy.ts`. */
export interface CookieReader {
  get(name: string): { value: string } | undefined;
}

/** What sets a cookie: `await cookies()` in a Server Action or Route Handler, or `response.cookies` in `proxy.ts`. */
export interface CookieWriter {
  set(name: string, value: string, options: SessionCookie['options']): unknown;
}

/** A session to read, not change: what Server Components get, since they cannot set cookies. */
export type ReadonlySession<Data extends Record<string, unknown>> = Pick<Session<Data>, 'get' | 'has' | 'keys' | 'deadline'>;

/** The sessions of a Next.js app; see {@link nextSessions}. */
export interface NextSessions<Data extends Record<string, unknown>> {
  /** The manager underneath, for `iterate` and `mergeSession`. */
  readonly manager: SessionManager<Data>;
  /** The session to read (in a Server Component, or to gate a route in `proxy.ts`). Writes nothing. */
  read(cookies: CookieReader | Promise<CookieReader>): Promise<ReadonlySession<Data>>;
  /**
   * Loads the session, runs `change` on it and commits it into `cookies` (sets the cookie
   * only when it must); returns what `change` returns. When `change` throws, nothing is
   * committed, except for Next's `redirect()`, which is how an action ends well.
   */
  update<T>(cookies: (CookieReader & CookieWriter) | Promise<CookieReader & CookieWriter>, change: (session: Session<Data>) => T | Promise<T>): Promise<Awaited<T>>;
  /** The session to change, for `commit` later (e.g. in `proxy.ts`: read `request.cookies`, commit to `response.cookies`). */
  load(cookies: CookieReader | Promise<CookieReader>): Promise<Session<Data>>;
  /** Saves what was done to `session` and sets its cookie in `cookies` when it must. */
  commit(session: Session<Data>, cookies: CookieWriter | Promise<CookieWriter>): Promise<void>;
}

/** Next's `redirect()` and `permanentRedirect()` throw this kind of error for Next to answer with. */
const isNextRedirect = (error: unknown) =>
  typeof (error as { digest?: unknown } | null)?.digest === 'string' && (error as { digest: string }).digest.startsWith('NEXT_REDIRECT;');

/**
 * Sessions for a Next.js app, kept in `store`, with the {@link SessionManager}'s options.
 * Pass the cookie store of the context you are in, as with iron-session's `getIronSession`.
 *
 * @example
 * ```ts
 * // lib/sessions.ts
 * export const sessions = nextSessions<{ userId: number }>(new PGStore(db), { idleTimeout: 30 * 60_000 });
 *
 * // A Server Component
 * const session = await sessions.read(cookies());
 * return <p>{session.get('userId') ?? 'signed out'}</p>;
 *
 * // A Server Action ('use server') or a Route Handler
 * await sessions.update(cookies(), async (session) => {
 *   await session.renewToken();
 *   session.set('userId', user.id);
 *   redirect('/');
 * });
 *
 * // proxy.ts
 * export async function proxy(request: NextRequest) {
 *   const session = await sessions.read(request.cookies);
 *   return session.has('userId') ? NextResponse.next() : NextResponse.redirect(new URL('/sign-in', request.url));
 * }
 * ```
 */
export function nextSessions<Data extends Record<string, unknown> = Record<string, unknown>>(
  store: SessionStore,
  options: SessionManagerOptions<Data> = {},
): NextSessions<Data> {
  const manager = new SessionManager<Data>(store, options);
  const { name } = resolveCookieOptions(options.cookie);
  // A wrong argument fails before any query, naming what was expected.
  const cookieStore = async <Store>(cookies: Store | Promise<Store>, method: 'get' | 'set'): Promise<Store> => {
    const store = await cookies;
    if (typeof (store as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new TypeError(`drizzle-pgstore: nextSessions needs a cookie store with ${method}(): cookies(), request.cookies or response.cookies`);
    }
    return store;
  };
  const load = async (cookies: CookieReader | Promise<CookieReader>) =>
    manager.loadToken((await cookieStore(cookies, 'get')).get(name)?.value);
  const commit = async (session: Session<Data>, cookies: CookieWriter | Promise<CookieWriter>) => {
    const store = await cookieStore(cookies, 'set');
    const cookie = await manager.commitCookie(session);
    if (cookie !== null) store.set(cookie.name, cookie.value, cookie.options);
  };
  return {
    manager,
    read: load,
    load,
    commit,
    async update<T>(cookies: (CookieReader & CookieWriter) | Promise<CookieReader & CookieWriter>, change: (session: Session<Data>) => T | Promise<T>): Promise<Awaited<T>> {
      if (typeof change !== 'function') throw new TypeError('drizzle-pgstore: sessions.update takes a function that changes the session');
      const session = await load(await cookieStore(cookies, 'set'));
      let result: Awaited<T>;
      try {
        result = await change(session);
      } catch (error) {
        if (isNextRedirect(error)) await commit(session, cookies);
        throw error;
      }
      await commit(session, cookies);
      return result;
    },
  };
}
