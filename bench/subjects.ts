import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import connectPgSimple from 'connect-pg-simple';
import { drizzle } from 'drizzle-orm/node-postgres';
import session from 'express-session';
import pg from 'pg';
import { defineSessionsTable, PGStore } from '../src/index.js';

/** What every subject is measured on. A "request" is what one HTTP request costs the store. */
export interface Subject {
  name: string;
  /** The table the subject reads and writes, for seeding. */
  table: BenchTable;
  /** Its store keys rows by hashToken(token) (`hashTokens`, the default), so its rows are seeded so. */
  hashesTokens?: boolean;
  find(token: string): Promise<unknown>;
  save(token: string): Promise<unknown>;
  delete(token: string): Promise<unknown>;
  /** One request of the mix: always a read, and on every fifth a write of a changed session. */
  request(token: string, i: number): Promise<unknown>;
  close(): Promise<void>;
}

/** The bench's tables: ours, connect-pg-simple's, and ours again for the encrypted store, whose rows are sealed. */
export type BenchTable = 'sessions' | 'session' | 'sessions_encrypted';

/** The key of the encrypted subject, made fresh for each run. */
export const BENCH_KEY = randomBytes(32);

export interface BenchConfig {
  databaseUrl: string;
  schema: string;
  poolSize: number;
}

const DAY_MS = 86_400_000;

/** A session object of about 300 bytes of JSON, as an app would keep. */
export function sessionObject(): session.SessionData & Record<string, unknown> {
  return {
    cookie: { originalMaxAge: DAY_MS, expires: new Date(Date.now() + DAY_MS), httpOnly: true, path: '/' },
    user: { id: 4711, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'editor'] },
    cart: [{ sku: 'A-100', qty: 2 }, { sku: 'B-220', qty: 1 }],
    csrf: 'c8f3b1d2e4a5968778695a4b3c2d1e0f',
    flash: null,
    visits: 17,
    lastPath: '/dashboard/reports?page=2',
  } as session.SessionData & Record<string, unknown>;
}

/** The same session as bytes, for the byte-level subjects. */
export const sessionBytes = () => new TextEncoder().encode(JSON.stringify(sessionObject()));

export const newPool = ({ databaseUrl, schema, poolSize }: BenchConfig) => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, options: `-c search_path=${schema}` });
  pool.on('error', () => {});
  return pool;
};

/** The floor: node-postgres with named prepared statements, no library in between. */
export function rawPg(pool: pg.Pool): Subject {
  const bytes = Buffer.from(sessionBytes());
  const find = (token: string) =>
    pool.query({
      name: 'bench_raw_find',
      text: 'SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry',
      values: [token],
    });
  const save = (token: string) =>
    pool.query({
      name: 'bench_raw_save',
      text: `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
             ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
      values: [token, bytes, new Date(Date.now() + DAY_MS)],
    });
  return {
    name: 'raw pg',
    table: 'sessions',
    find,
    save,
    delete: (token) => pool.query({ name: 'bench_raw_delete', text: 'DELETE FROM sessions WHERE token = $1', values: [token] }),
    request: async (token, i) => {
      await find(token);
      if (i % 5 === 0) await save(token);
    },
    close: async () => {},
  };
}

/**
 * PGStore on drizzle's node-postgres driver; with `encrypted`, on its own table with
 * `encryptionKeys`. Both keep raw tokens (`hashTokens: false`), as the seeded rows and raw pg
 * do, so the two differ by encryption alone.
 */
export function pgStore(pool: pg.Pool, { encrypted = false } = {}): Subject {
  const store = new PGStore(drizzle(pool), {
    cleanupInterval: 0,
    hashTokens: false,
    ...(encrypted && { table: defineSessionsTable('sessions_encrypted'), encryptionKeys: [BENCH_KEY] }),
  });
  const bytes = sessionBytes();
  const save = (token: string) => store.save(token, bytes, new Date(Date.now() + DAY_MS));
  return {
    name: encrypted ? 'PGStore encrypted' : 'PGStore',
    table: encrypted ? 'sessions_encrypted' : 'sessions',
    find: (token) => store.find(token),
    save,
    delete: (token) => store.delete(token),
    request: async (token, i) => {
      await store.find(token);
      if (i % 5 === 0) await save(token);
    },
    close: () => store.close(),
  };
}

/** Adapts an express-session store's callback methods to promises. */
function sessionStoreSubject(name: string, store: session.Store, close: () => Promise<void>, hashesTokens = false): Subject {
  const get = promisify(store.get.bind(store));
  const set = promisify(store.set.bind(store));
  const destroy = promisify(store.destroy.bind(store));
  const touch = store.touch ? promisify(store.touch.bind(store)) : undefined;
  const data = sessionObject();
  return {
    name,
    table: name === 'connect-pg-simple' ? 'session' : 'sessions',
    hashesTokens,
    find: (sid) => get(sid),
    save: (sid) => set(sid, data),
    delete: (sid) => destroy(sid),
    // What express-session does with resave: false: load, then save a changed session
    // or touch an unchanged one.
    request: async (sid, i) => {
      const loaded = ((await get(sid)) ?? data) as session.SessionData;
      // express-session slides a maxAge cookie on every request before it saves or touches.
      loaded.cookie.expires = new Date(Date.now() + DAY_MS);
      if (i % 5 === 0) await set(sid, loaded);
      else await touch?.(sid, loaded);
    },
    close,
  };
}

/** connect-pg-simple 10. */
export function connectPgSimpleSubject(pool: pg.Pool, schema: string): Subject {
  const Store = connectPgSimple(session);
  const store = new Store({ pool, schemaName: schema, tableName: 'session', pruneSessionInterval: false });
  return sessionStoreSubject('connect-pg-simple', store, async () => {});
}

export { sessionStoreSubject };
