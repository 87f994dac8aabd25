import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * Any Drizzle PostgreSQL database: node-postgres, postgres.js, PGlite, Neon and the rest.
 *
 * The relational schema the database was made with does not matter to the store, so any
 * is accepted.
 */
// The schema parameter is invariant, so only `any` admits every app's schema; nothing the
// store returns is typed by it.
export type SessionDatabase = PgDatabase<PgQueryResultHKT, any>;
