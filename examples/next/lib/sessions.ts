import { drizzle } from 'drizzle-orm/node-postgres';
import { PGStore } from 'drizzle-pgstore';
import { nextSessions } from 'drizzle-pgstore/next';
import pg from 'pg';

/** What this app keeps in a session: who signed in, and the pages they pinned. */
export type SessionData = { user: string } & { [pin: `pin:${string}`]: string };

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const store = new PGStore(drizzle(pool));

// Cookies are Secure by default; browsers take them from http://localhost too.
export const sessions = nextSessions<SessionData>(store, { lifetime: 7 * 24 * 3_600_000 });
