/**
 * Sessions for SvelteKit: a `handle` hook that puts the request's session on
 * `event.locals.session` and commits it onto the response. This entry point
 * (`drizzle-pgstore/sveltekit`) takes only SvelteKit's types, never its code: a production
 * build that bundles SvelteKit still meets one copy of it.
 */
import type { SessionCookieAttributes } from '../manager/cookie.js';
import type { SessionManager } from '../manager/manager.js';
import type { Session } from '../manager/session.js';

/**
 * What the hook adds to `App.Locals`: declare it in `src/app.d.ts` with your data's shape,
 * and `locals.session` is typed in every `load`, form action and `+server.ts`.
 *
 * @example
 * ```ts
 * // src/app.d.ts
 * import type { SessionLocals } from 'drizzle-pgstore/sveltekit';
 * declare global {
 *   namespace App {
 *     interface Locals extends SessionLocals<{ userId: string }> {}
 *   }
 * }
 * export {};
 * ```
 */
export interface SessionLocals<Data extends Record<string, unknown> = Record<string, unknown>> {
  session: Session<Data>;
}

/** The part of SvelteKit's `RequestEvent` the hook uses. */
export interface SessionRequestEvent {
  request: Request;
  locals: object;
  cookies: { set(name: string, value: string, options: SessionCookieAttributes): void };
}

/** A SvelteKit `Handle`: export it as `handle` from `src/hooks.server.ts`, or pass it to `sequence`. */
export type SessionHandle = <Event extends SessionRequestEvent>(input: {
  event: Event;
  resolve: (event: Event) => Response | Promise<Response>;
}) => Promise<Response>;

/** SvelteKit's `redirect()` throws a Redirect: a plain object with a 3xx status and a location. */
function isRedirect(thrown: unknown): boolean {
  if (typeof thrown !== 'object' || thrown === null || thrown instanceof Error) return false;
  const { status, location } = thrown as { status?: unknown; location?: unknown };
  return typeof location === 'string' && typeof status === 'number' && status >= 300 && status <= 308;
}

/**
 * The `handle` hook: loads each request's session into `event.locals.session` and commits
 * it when the route is done, writing only a session that changed. When the request fails
 * (a hook after this one throws, or the route ends in a 5xx error page), nothing is
 * committed: a half-done request changes no session. A `redirect()` thrown by a later hook
 * commits, as a redirect a route returns does. Change the session before a `load` returns:
 * changes made in promises it streams come after the response's headers and are not saved.
 *
 * @example
 * ```ts
 * // src/hooks.server.ts
 * export const handle = sequence(sessionHandle(new SessionManager<{ userId: string }>(new PGStore(db))), guard);
 * // src/routes/+page.server.ts
 * export const actions = {
 *   signIn: async ({ locals }) => {
 *     await locals.session.renewToken(); // a new token at sign-in: a planted one is worth nothing
 *     locals.session.set('userId', 'ada');
 *     redirect(303, '/');
 *   },
 * };
 * ```
 */
export function sessionHandle<Data extends Record<string, unknown>>(manager: SessionManager<Data>): SessionHandle {
  if (typeof manager?.load !== 'function' || typeof manager.commit !== 'function' || typeof manager.commitCookie !== 'function') {
    throw new TypeError('drizzle-pgstore: sessionHandle takes a SessionManager');
  }
  return async ({ event, resolve }) => {
    const session = await manager.load(event.request);
    (event.locals as SessionLocals<Data>).session = session;
    let response: Response;
    try {
      response = await resolve(event);
    } catch (thrown) {
      // SvelteKit makes the redirect's response itself, with the cookies set on the event.
      if (isRedirect(thrown)) {
        const cookie = await manager.commitCookie(session);
        if (cookie !== null) event.cookies.set(cookie.name, cookie.value, cookie.options);
      }
      throw thrown;
    }
    // SvelteKit answers an error in a load, an action or an endpoint with an error page
    // rather than a rejected resolve: that request failed too.
    if (response.status >= 500) return response;
    // event.cookies is closed once resolve is done: the cookie goes on the response itself.
    return manager.commit(session, response);
  };
}
