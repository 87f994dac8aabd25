/**
 * The README's express wiring, whole: sessions in PostgreSQL, and a shutdown that loses
 * none. Run with DATABASE_URL, SESSION_SECRET and (optionally) PORT set.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { drizzle } from 'drizzle-orm/node-postgres';
import express from 'express';
import session from 'express-session';
import pg from 'pg';
import { PGStore } from 'drizzle-pgstore';
import { ExpressSessionStore } from 'drizzle-pgstore/express';

declare module 'express-session' {
  interface SessionData {
    views?: number;
  }
}

const secret = process.env.SESSION_SECRET;
if (!secret) throw new Error('set SESSION_SECRET: it signs the session cookie');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
// Without a listener, an idle client whose connection drops takes the whole process down.
pool.on('error', (error) => console.error(`database: ${error.message}`));
const store = new PGStore(drizzle(pool));

const app = express();
// Production runs behind a TLS proxy: trusting its X-Forwarded-Proto lets `secure: 'auto'`
// mark the cookie Secure on every HTTPS request, so the token never travels in clear.
app.set('trust proxy', 1);
app.use(
  session({
    store: new ExpressSessionStore(store),
    secret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: 'auto', sameSite: 'lax', maxAge: 24 * 3_600_000 },
  }),
);
app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  res.send(`views: ${req.session.views}`);
});

const server = app.listen(Number(process.env.PORT ?? 3000), () =>
  console.log(`listening on ${(server.address() as AddressInfo).port}`),
);

// In this order: requests still running save their sessions before the store and pool go.
process.once('SIGTERM', async () => {
  server.close(); // 1. take no new requests, finish those in flight
  await once(server, 'close');
  await store.close(); // 2. stop the cleanup, waiting for a run in flight
  await pool.end(); // 3. close the pool the store used
});
