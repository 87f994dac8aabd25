/**
 * The app's sessions: rows of the `sessions` table (create it with `npx drizzle-pgstore
 * migrate`), read and written by one SessionManager.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { PGStore, SessionManager } from 'drizzle-pgstore';

/** What a session holds here: who signed in, a notice shown once, and preferences. */
export type SessionData = { userId: string; notice: string } & Record<`pref:${string}`, string>;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
// A broken idle connection (the database restarting) is reported, never thrown at the process.
pool.on('error', (error) => console.error(`database: ${error.message}`));

// hashTokens: rows are keyed by the token's SHA-256, so a copy of the table opens no session.
const store = new PGStore(drizzle(pool), { hashTokens: true });

export const manager = new SessionManager<SessionData>(store, {
  lifetime: 7 * 24 * 3_600_000,
  idleTimeout: 24 * 3_600_000,
  cookie: { name: 'session' },
});
