/**
 * The example's sessions, shared by the plain h3 server (h3-server.ts) and the Nitro app (server/):
 * a SessionManager on PostgreSQL, and the guard that refuses cross-site requests.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { HTTPError, type Middleware } from 'h3';
import pg from 'pg';
import { PGStore, SessionManager } from 'drizzle-pgstore';

export type Data = { user: string; visits: number } & Record<`k${number}`, boolean>;

export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on('error', (error) => console.error(`database: ${error.message}`));
export const store = new PGStore(drizzle(pool));
// secure: false only because this example speaks plain HTTP; keep the default (true) in production.
export const manager = new SessionManager<Data>(store, { cookie: { secure: false } });

/**
 * CSRF: SameSite=Lax lets a sibling site post with the cookie, and a forged sign-in needs no
 * cookie at all. Refuse a request that changes something when the browser says it comes
 * from another origin (Sec-Fetch-Site), or names another origin (Origin).
 */
export const sameOriginOnly: Middleware = (event) => {
  if (['GET', 'HEAD', 'OPTIONS'].includes(event.req.method)) return;
  const site = event.req.headers.get('sec-fetch-site');
  const origin = event.req.headers.get('origin');
  if ((site !== null && site !== 'same-origin' && site !== 'none') || (origin !== null && origin !== event.url.origin)) {
    throw new HTTPError({ status: 403, message: 'cross-site request refused' });
  }
};
