import { drizzle } from 'drizzle-orm/node-postgres';
import { ExpressSessionStore } from '../src/express.js';
import { PGStore } from '../src/index.js';
import { newPool, sessionStoreSubject, type BenchConfig, type Subject } from './subjects.js';

/** ExpressSessionStore with its defaults, over a PGStore on its own pool. */
export function expressSessionStore(config: BenchConfig): Subject {
  const pool = newPool(config);
  const store = new PGStore(drizzle(pool), { cleanupInterval: 0 });
  return sessionStoreSubject('ExpressSessionStore', new ExpressSessionStore(store), async () => {
    await store.close();
    await pool.end();
  });
}
