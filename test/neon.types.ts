/**
 * Type-level check, compiled by `npm run typecheck` and never run: the store, its cleanup
 * and `sessionStats` accept the Drizzle databases of Neon's serverless driver, over HTTP
 * (no prepared statements, hence `preparedStatements: false`) and over WebSockets.
 * There is no Neon endpoint here to run them against; see docs/scaling.md.
 */
import { neon, Pool } from '@neondatabase/serverless';
import { drizzle as drizzleNeonHttp } from 'drizzle-orm/neon-http';
import { drizzle as drizzleNeonServerless } from 'drizzle-orm/neon-serverless';
import { defineSessionsTable, PGStore, sessionStats, type SessionDatabase, type SessionStats } from '../src/index.js';

export function storesOnNeon(url: string): { overHttp: PGStore; overWebSockets: PGStore; stats: Promise<SessionStats> } {
  const http = drizzleNeonHttp(neon(url));
  const webSockets = drizzleNeonServerless(new Pool({ connectionString: url }));
  http satisfies SessionDatabase;
  webSockets satisfies SessionDatabase;
  return {
    overHttp: new PGStore(http, { cleanupInterval: 0, preparedStatements: false, table: defineSessionsTable('sessions') }),
    overWebSockets: new PGStore(webSockets, { cleanupSkipLocked: true }),
    stats: sessionStats(http),
  };
}
