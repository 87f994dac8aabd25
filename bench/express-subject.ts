import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { ExpressSessionStore } from '../src/express/index.js';
import { PGStore } from '../src/index.js';
import { sessionStoreSubject, type Subject } from './subjects.js';

/** ExpressSessionStore with its defaults, over a PGStore with its defaults (tokens hashed: its rows are seeded so). */
export function expressSessionStore(pool: pg.Pool): Subject {
  const store = new PGStore(drizzle(pool), { cleanupInterval: 0 });
  return sessionStoreSubject('ExpressSessionStore', new ExpressSessionStore(store), () => store.close(), true);
}
