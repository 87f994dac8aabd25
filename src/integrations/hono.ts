/**
 * Sessions for Hono: a middleware that loads the request's session into the context and
 * commits it onto the response. Only this entry point (`drizzle-pgstore/hono`) loads Hono.
 */
import type { MiddlewareHandler } from 'hono';
import type { SessionManager } from '../manager/manager.js';
import type { Session } from '../manager/session.js';

/**
 * The Hono environment the middleware gives handlers: `c.get('session')`.
 *
 * @example
 * ```ts
 * const app = new Hono<SessionEnv<{ userId: number }>>();
 * ```
 */
export interface SessionEnv<Data extends Record<string, unknown> = Record<string, unknown>> {
  Variables: { session: Session<Data> };
}

/**
 * Loads each request's session (`c.get('session')`) and commits it when the handler is
 * done. When the handler fails, nothing is committed: a half-done request changes no session.
 *
 * @example
 * ```ts
 * const manager = new SessionManager<{ userId: number }>(new PGStore(db));
 * const app = new Hono<SessionEnv<{ userId: number }>>();
 * app.use(sessionMiddleware(manager));
 * app.post('/sign-in', async (c) => {
 *   const session = c.get('session');
 *   await session.renewToken();
 *   session.set('userId', 42);
 *   return c.redirect('/');
 * });
 * ```
 */
export function sessionMiddleware<Data extends Record<string, unknown>>(
  manager: SessionManager<Data>,
): MiddlewareHandler<SessionEnv<Data>> {
  if (typeof manager?.load !== 'function' || typeof manager.commit !== 'function') {
    throw new TypeError('drizzle-pgstore: sessionMiddleware takes a SessionManager');
  }
  return async (c, next) => {
    const session = await manager.load(c.req.raw);
    c.set('session', session);
    await next();
    if (c.error) return;
    const response = await manager.commit(session, c.res);
    if (response !== c.res) {
      // Hono merges the old response's headers into a new one, Set-Cookie included, which
      // would replace ours with the old list: clear it first, then set the copy.
      c.res = undefined;
      c.res = response;
    }
  };
}
