/**
 * Sessions for h3 2 (and what runs on it: Nitro, Nuxt's server, TanStack Start): the session
 * of an `H3Event`, and its commit onto the event's response. Only this entry point
 * (`drizzle-pgstore/h3`) loads h3.
 */
import { setCookie, type H3Event, type Middleware } from 'h3';
import type { SessionManager } from '../manager/manager.js';
import type { Session } from '../manager/session.js';
import { addNoSharedCacheHeaders } from '../manager/response.js';

/** Each event's sessions, one per manager, loaded once however often a handler asks. */
const loaded = new WeakMap<H3Event, Map<object, Promise<unknown>>>();

function checkManager(manager: unknown, caller: string): void {
  const candidate = manager as Partial<SessionManager> | null | undefined;
  if (typeof candidate?.load !== 'function' || typeof candidate.commitCookie !== 'function') {
    throw new TypeError(`drizzle-pgstore: ${caller} takes a SessionManager`);
  }
}

/**
 * The session of `event`'s request, typed by the manager's data: loaded on the first call,
 * the same object on every later call for this event. A new, empty session when the
 * request has none.
 *
 * @example
 * ```ts
 * app.get('/', async (event) => `hi ${(await loadSession(event, manager)).get('name') ?? 'stranger'}`);
 * ```
 */
export function loadSession<Data extends Record<string, unknown>>(event: H3Event, manager: SessionManager<Data>): Promise<Session<Data>> {
  checkManager(manager, 'loadSession');
  if (typeof event?.req?.headers?.get !== 'function') throw new TypeError('drizzle-pgstore: loadSession takes an H3Event');
  let sessions = loaded.get(event);
  if (sessions === undefined) loaded.set(event, (sessions = new Map()));
  let session = sessions.get(manager) as Promise<Session<Data>> | undefined;
  if (session === undefined) {
    session = manager.load(event.req);
    sessions.set(manager, session);
  }
  return session;
}

/**
 * Saves what this request did to `event`'s session and sets the cookie it needs on the
 * event's response (h3's `setCookie`), with `Vary: Cookie` and `Cache-Control:
 * no-cache="Set-Cookie"`. Nothing happens when the session was never loaded or is unchanged.
 * Call it before the handler returns; {@link sessionMiddleware} does it for every route.
 *
 * @example
 * ```ts
 * app.post('/sign-out', async (event) => {
 *   (await loadSession(event, manager)).destroy();
 *   await commitSession(event, manager);
 *   return redirect('/', 303);
 * });
 * ```
 */
export async function commitSession<Data extends Record<string, unknown>>(event: H3Event, manager: SessionManager<Data>): Promise<void> {
  checkManager(manager, 'commitSession');
  const session = loaded.get(event)?.get(manager) as Promise<Session<Data>> | undefined;
  if (session === undefined) return;
  const cookie = await manager.commitCookie(await session);
  if (cookie === null) return;
  setCookie(event, cookie.name, cookie.value, cookie.options);
  addNoSharedCacheHeaders(event.res.headers);
}

/**
 * An h3 middleware that loads each request's session and commits it once the route has
 * answered, also onto a `Response` the route returns. When the route throws, nothing is
 * committed: a half-done request changes no session.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ userId: number }>(new PGStore(db));
 * const app = new H3().use(sessionMiddleware(manager));
 * app.post('/sign-in', async (event) => {
 *   const session = await loadSession(event, manager);
 *   await session.renewToken();
 *   session.set('userId', 42);
 *   return redirect('/', 303);
 * });
 * ```
 */
export function sessionMiddleware<Data extends Record<string, unknown>>(manager: SessionManager<Data>): Middleware {
  checkManager(manager, 'sessionMiddleware');
  return async (event, next) => {
    const session = await loadSession(event, manager);
    const result = await next();
    // h3 keeps the event's headers off a returned Response of status 400 and above: commit onto it.
    if (result instanceof Response) return manager.commit(session, result);
    await commitSession(event, manager);
    return result;
  };
}
