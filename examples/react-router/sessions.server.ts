/**
 * React Router (7 or 8) or Remix: app/sessions.server.ts. Loaders and actions use it as any
 * React Router session storage (see routes.ts beside this file).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { PGStore } from 'drizzle-pgstore';
import { sessionStorage } from './storage.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on('error', (error) => console.error(`database: ${error.message}`));

export const storage = sessionStorage(new PGStore(drizzle(pool)), process.env.SESSION_SECRET ?? '');
export const { getSession, commitSession, destroySession } = storage;
