/**
 * Sessions in an h3 2 app on Node: `DATABASE_URL=… PORT=3000 npm start` (Node 22.18 or later
 * runs this TypeScript as it is). The sessions table must exist: `npx drizzle-pgstore migrate`.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { H3, HTTPError, readBody, redirect, serve, type Middleware } from 'h3';
import pg from 'pg';
import { PGStore, SessionManager } from 'drizzle-pgstore';
import { loadSession, sessionMiddleware } from 'drizzle-pgstore/h3';

type Data = { user: string; visits: number } & Record<`k${number}`, boolean>;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on('error', (error) => console.error(`database: ${error.message}`));
const store = new PGStore(drizzle(pool));
// secure: false only because this example speaks plain HTTP; keep the default (true) in production.
const manager = new SessionManager<Data>(store, { cookie: { secure: false } });

/**
 * CSRF: SameSite=Lax lets a sibling site post with the cookie, and a forged sign-in needs no
 * cookie at all. Refuse a request that changes something when the browser says it comes
 * from another origin (Sec-Fetch-Site), or names another origin (Origin).
 */
const sameOriginOnly: Middleware = (event) => {
  if (['GET', 'HEAD', 'OPTIONS'].includes(event.req.method)) return;
  const site = event.req.headers.get('sec-fetch-site');
  const origin = event.req.headers.get('origin');
  if ((site !== null && site !== 'same-origin' && site !== 'none') || (origin !== null && origin !== event.url.origin)) {
    throw new HTTPError({ status: 403, message: 'cross-site request refused' });
  }
};

const app = new H3();
app.use(sameOriginOnly); // first, so a refused request never loads or writes a session
app.use(sessionMiddleware(manager));

app.get('/', async (event) => {
  const session = await loadSession(event, manager);
  return { user: session.get('user') ?? null, keys: session.keys() };
});
app.post('/visit', async (event) => {
  const session = await loadSession(event, manager);
  session.set('visits', (session.get('visits') ?? 0) + 1);
  return { visits: session.get('visits') };
});
app.post('/keys/:n', async (event) => {
  const session = await loadSession(event, manager);
  session.set(`k${Number(event.context.params!.n)}`, true);
  return { ok: true };
});
app.post('/sign-in', async (event) => {
  const { user } = (await readBody<{ user?: string }>(event)) ?? {};
  if (typeof user !== 'string' || user === '') throw new HTTPError({ status: 400, message: 'a user name is needed' });
  const session = await loadSession(event, manager);
  await session.renewToken(); // a new token at sign-in: one planted before is worth nothing
  session.set('user', user);
  return redirect('/', 303);
});
app.post('/sign-out', async (event) => {
  (await loadSession(event, manager)).destroy();
  return redirect('/', 303);
});

const server = serve(app, { port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1', silent: true });
await server.ready();
console.log(`listening on ${server.url}`);
process.once('SIGTERM', async () => {
  await server.close();
  await store.close();
  await pool.end();
});
