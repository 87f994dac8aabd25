import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import type postgres from 'postgres';
import type { SessionDatabase } from '../../src/index.js';
import type { Backend } from './backends.js';

/** Every statement drizzle sent through a {@link countingDb}, in order: its SQL text. */
export class StatementLog implements Logger {
  readonly statements: string[] = [];

  logQuery(query: string): void {
    this.statements.push(query);
  }

  /** Forgets what was logged so far. */
  reset(): void {
    this.statements.length = 0;
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
