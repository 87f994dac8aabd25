/**
 * Sessions in a Hono app on Node: run with DATABASE_URL and (optionally) PORT set.
 */
import { serve } from '@hono/node-server';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import pg from 'pg';
import { PGStore, SessionManager } from 'drizzle-pgstore';
import { sessionMiddleware, type SessionEnv } from 'drizzle-pgstore/hono';

type Data = { userId: number; visits: number };

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on('error', (error) => console.error(`database: ${error.message}`));
const store = new PGStore(drizzle(pool));
// secure: false only because this example speaks plain HTTP; keep the default (true) in production.
const manager = new SessionManager<Data>(store, { idleTimeout: 30 * 60_000, cookie: { secure: false } });

const app = new Hono<SessionEnv<Data>>();
// CSRF: SameSite=Lax lets a sibling site post with the cookie, and a forged sign-in needs none.
// hono/csrf refuses a form post unless Sec-Fetch-Site is same-origin or Origin is this server's;
// first, so a refused request never loads or writes a session.
app.use(csrf());
app.use(sessionMiddleware(manager));
app.get('/', (c) => {
  const session = c.get('session');
  session.set('visits', (session.get('visits') ?? 0) + 1);
  return c.text(`visits: ${session.get('visits')}, user: ${session.get('userId') ?? 'none'}`);
});
app.post('/sign-in', async (c) => {
  const session = c.get('session');
  await session.renewToken(); // a new token at sign-in: one planted before is worth nothing
  session.set('userId', 42);
  return c.redirect('/', 303);
});
app.post('/sign-out', (c) => {
  c.get('session').destroy();
  return c.redirect('/', 303);
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) =>
  console.log(`listening on ${info.port}`),
);
process.once('SIGTERM', () => {
  server.close(async () => {
    await store.close();
    await pool.end();
  });
});
