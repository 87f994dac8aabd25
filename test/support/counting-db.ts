import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import type postgres from 'postgres';
import { expect } from 'vitest';
import { PGStore, StoreQueryError, type PGStoreOptions, type SessionDatabase } from '../../src/index.js';
import type { Backend } from './backends.js';

/** Every statement drizzle sent through a {@link countingDb}, in order: its SQL text. */
export class StatementLog implements Logger {
  readonly statements: string[] = [];
  /** The parameters of each statement, in the same order. */
  readonly params: unknown[][] = [];

  logQuery(query: string, params: unknown[]): void {
    this.statements.push(query);
    this.params.push(params);
  }

  /** Forgets what was logged so far. */
  reset(): void {
    this.statements.length = 0;
    this.params.length = 0;
  }

  /** The statements whose SQL matches `pattern`. */
  matching(pattern: RegExp): string[] {
    return this.statements.filter((text) => pattern.test(text));
  }
}

/**
 * A second Drizzle database over the backend's own client (the same pool or connection),
 * whose logger records every statement it sends: a count of what reached the driver,
 * with no mock in between.
 */
export function countingDb(backend: Backend): { db: SessionDatabase; log: StatementLog } {
  const log = new StatementLog();
  const client = (backend.db as unknown as { $client: unknown }).$client;
  let db: SessionDatabase;
  if (client instanceof PGlite) db = drizzlePglite(client, { logger: log });
  else if (client instanceof pg.Pool) db = drizzleNodePostgres(client, { logger: log });
  else if (typeof (client as { unsafe?: unknown }).unsafe === 'function') db = drizzlePostgresJs(client as postgres.Sql, { logger: log });
  else throw new Error('countingDb knows PGlite, a node-postgres Pool and postgres.js');
  return { db, log };
}

/** The statement of a coalesced find: one over an array of tokens. */
export const MANY_TOKENS = /= any\(/;
/** A find of one token (the plain find, or the one that also reads the expiry). */
export const ONE_TOKEN_FIND = /^select "data".* where \("sessions"\."token" = \$1 and/;

/**
 * Stores over a {@link countingDb} of the backend: `open` makes one (cleanup off) and points
 * `log` at its statements; `closeAll` closes every store made, for an `afterEach`.
 */
export function countedStores(backend: () => Backend) {
  const stores: PGStore[] = [];
  let log = new StatementLog();
  return {
    /** The statements of the store opened last. */
    get log(): StatementLog {
      return log;
    },
    open(options: PGStoreOptions = {}): PGStore {
      const counted = countingDb(backend());
      log = counted.log;
      const store = new PGStore(counted.db, { cleanupInterval: 0, ...options });
      stores.push(store);
      return store;
    },
    closeAll: () => Promise.all(stores.splice(0).map((store) => store.close())),
  };
}

/**
 * The rejections of a batch a trigger failed: asserts that more than one caller was refused,
 * each with a StoreQueryError of `method` and the trigger's SQLSTATE, and gives what each
 * error shows (messages and stacks, its own and its cause's), to search for secrets.
 */
export function triggerRejections(settled: readonly PromiseSettledResult<unknown>[], method: string): string[] {
  const rejected = settled.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  expect(rejected.length).toBeGreaterThan(1);
  return rejected.map(({ reason }) => {
    const error = reason as StoreQueryError;
    expect(error).toBeInstanceOf(StoreQueryError);
    expect(error.method).toBe(method);
    expect(error.code).toBe('P0001');
    return `${error.message}\n${error.stack}\n${error.cause.message}\n${error.cause.stack}`;
  });
}
