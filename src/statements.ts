import { createHash } from 'node:crypto';
import { and, count, eq, inArray, notBetween, sql } from 'drizzle-orm';
import type { PgColumn, PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { epochMillis, expired, unexpired } from './expiry-sql.js';
import type { SessionsTable } from './schema.js';

/**
 * Any Drizzle PostgreSQL database: node-postgres, postgres.js, PGlite, Neon and the rest.
 *
 * The relational schema the database was made with does not matter to the store, so any
 * is accepted.
 */
// The schema parameter is invariant, so only `any` admits every app's schema; nothing the
// store returns is typed by it.
export type SessionDatabase = PgDatabase<PgQueryResultHKT, any>;

/** `excluded.<column>`: the value the conflicting INSERT tried to write. */
const excluded = (column: PgColumn) => sql`excluded.${sql.identifier(column.name)}`;

/**
 * The store's queries, each built once. With `prepare`, each is a named server-side
 * prepared statement whose name is derived from its SQL text, so stores on different
 * tables never clash on a connection and stores on the same table share one statement.
 */
export function buildStatements(db: SessionDatabase, table: SessionsTable, prepare: boolean) {
  const token = sql.placeholder('token');
  // A placeholder bound to the column, so a Date is encoded as the column encodes it.
  const expiryParam = (name: string) => sql`${sql.param(sql.placeholder(name), table.expiry)}`;
  const live = unexpired(table.expiry);
  const anyToken = sql`${table.token} = any(${sql.placeholder('tokens')})`;

  // drizzle runs a query unnamed (unprepared) when its name is undefined, on every
  // driver; its types only admit strings.
  const named = <Q extends { toSQL(): { sql: string }; prepare(name: string): unknown }>(op: string, query: Q) =>
    query.prepare(
      (prepare
        ? `drizzle_pgstore_${op}_${createHash('sha256').update(query.toSQL().sql).digest('hex').slice(0, 20)}`
        : undefined) as string,
    ) as ReturnType<Q['prepare']>;

  const expiredBatch = db
    .select({ token: table.token })
    .from(table)
    .where(expired(table.expiry))
    .limit(sql.placeholder('limit'))
    // Several app instances may clean at once: each takes rows nobody else holds,
    // and none waits on a row that a request is writing.
    .for('update', { skipLocked: true });

  const deletedBatch = db
    .$with('deleted')
    .as(db.delete(table).where(inArray(table.token, expiredBatch)).returning({ token: table.token }));

  return {
    find: named('find', db.select({ data: table.data }).from(table).where(and(eq(table.token, token), live))),
    findWithExpiry: named(
      'find_with_expiry',
      db
        .select({ data: table.data, expiryMs: epochMillis(table.expiry) })
        .from(table)
        .where(and(eq(table.token, token), live)),
    ),
    // The finds of many callers in one statement (see find-coalescer.ts): the expiry comes
    // only when a findWithExpiry caller is in the batch, as reading it costs each row.
    findMany: named(
      'find_many',
      db.select({ token: table.token, data: table.data }).from(table).where(and(anyToken, live)),
    ),
    findManyWithExpiry: named(
      'find_many_with_expiry',
      db
        .select({ token: table.token, data: table.data, expiryMs: epochMillis(table.expiry) })
        .from(table)
        .where(and(anyToken, live)),
    ),
    save: named(
      'save',
      db
        .insert(table)
        .values({ token, data: sql.placeholder('data'), expiry: sql.placeholder('expiry') })
        .onConflictDoUpdate({
          target: table.token,
          set: { data: excluded(table.data), expiry: excluded(table.expiry) },
        }),
    ),
    // Writes only when the new expiry falls outside [earliest, latest], so a touch that
    // would barely move it leaves the row (and its heap page) alone.
    touch: named(
      'touch',
      db
        .update(table)
        .set({ expiry: expiryParam('expiry') })
        .where(
          and(
            eq(table.token, token),
            live,
            notBetween(table.expiry, expiryParam('earliest'), expiryParam('latest')),
          ),
        )
        .returning({ touched: sql<1>`1` }),
    ),
    // Compare-and-swap on the whole value: written only if the live row still holds the
    // bytes the caller read, so a commit never overwrites a change it has not seen.
    replace: named(
      'replace',
      db
        .update(table)
        .set({ data: sql`${sql.param(sql.placeholder('data'), table.data)}`, expiry: expiryParam('expiry') })
        .where(and(eq(table.token, token), live, eq(table.data, sql.placeholder('expected'))))
        .returning({ replaced: sql<1>`1` }),
    ),
    delete: named('delete', db.delete(table).where(eq(table.token, token))),
    clear: named('clear', db.delete(table)),
    all: named('all', db.select({ token: table.token, data: table.data }).from(table).where(live)),
    tokens: named('tokens', db.select({ token: table.token }).from(table).where(live)),
    count: named('count', db.select({ live: count() }).from(table).where(live)),
    // The batch's rows are counted in the database: a count crosses the wire, not a row
    // per deleted session for the app to parse beside its requests.
    deleteExpiredBatch: named(
      'delete_expired',
      db.with(deletedBatch).select({ deleted: count() }).from(deletedBatch),
    ),
  };
}

/** The prepared queries of one store. */
export type Statements = ReturnType<typeof buildStatements>;
