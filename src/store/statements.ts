import { createHash } from 'node:crypto';
import { and, count, desc, eq, getTableColumns, inArray, is, ne, notBetween, sql, type Query, type SQL } from 'drizzle-orm';
import { PgColumn } from 'drizzle-orm/pg-core';
import type { SessionDatabase } from '../database.js';
import { directFinds, type FindStatement } from './direct-finds.js';
import { epochMillis, expired, unexpired } from './expiry-sql.js';
import type { OwnedSessionsTable, SessionsTable } from '../schema.js';

/** `excluded.<column>`: the value the conflicting INSERT tried to write. */
const excluded = (column: PgColumn) => sql`excluded.${sql.identifier(column.name)}`;

/**
 * One batch of the cleanup: deletes up to `limit` (a placeholder) expired rows and counts
 * them in the database, so a count crosses the wire rather than a row per session. The
 * store runs it, and so does the pg_cron job that `drizzle-pgstore schedule` installs.
 *
 * With `skipLocked`, the batch locks the rows it picks (`FOR UPDATE SKIP LOCKED`): several
 * cleaners take rows nobody else holds, and none waits on a row a request is writing.
 * Without it (for Citus, which cannot lock rows across shards), cleaners may pick the same
 * rows and one waits for the other; the DELETE checks the expiry again, so a session saved
 * since the batch was picked stays.
 */
export function deleteExpiredBatchQuery(db: SessionDatabase, table: SessionsTable, skipLocked: boolean) {
  const picked = db
    .select({ token: table.token })
    .from(table)
    .where(expired(table.expiry))
    .limit(sql.placeholder('limit'));
  const batch = skipLocked ? picked.for('update', { skipLocked: true }) : picked;
  // Locked rows were checked by the lock; unlocked ones are checked on the row the DELETE finds.
  const where = skipLocked ? inArray(table.token, batch) : and(inArray(table.token, batch), expired(table.expiry));
  const deleted = db.$with('deleted').as(db.delete(table).where(where).returning({ token: table.token }));
  return db.with(deleted).select({ deleted: count() }).from(deleted);
}

/**
 * The store's queries, each built once. With `prepare`, each is a named server-side
 * prepared statement whose name is derived from its SQL text, so stores on different
 * tables never clash on a connection and stores on the same table share one statement.
 */
export function buildStatements(db: SessionDatabase, table: SessionsTable, prepare: boolean, skipLocked = true) {
  const token = sql.placeholder('token');
  // A placeholder bound to the column, so a Date is encoded as the column encodes it.
  const expiryParam = (name: string) => sql`${sql.param(sql.placeholder(name), table.expiry)}`;
  const live = unexpired(table.expiry);
  const anyToken = sql`${table.token} = any(${sql.placeholder('tokens')})`;

  const nameOf = (op: string, query: { toSQL(): { sql: string } }) =>
    prepare ? `drizzle_pgstore_${op}_${createHash('sha256').update(query.toSQL().sql).digest('hex').slice(0, 20)}` : undefined;
  // drizzle runs a query unnamed (unprepared) when its name is undefined, on every
  // driver; its types only admit strings.
  const named: Named = (op, query) => uncached(query).prepare(nameOf(op, query) as string) as ReturnType<(typeof query)['prepare']>;
  // The finds, straight through node-postgres where that loses nothing (see direct-finds.ts).
  const direct = directFinds(db);
  const find = <Row>(op: string, query: SelectQuery<Row>): FindStatement<Row> =>
    direct ? direct<Row>(query, nameOf(op, query)) : uncached(query).prepare(nameOf(op, query) as string);

  return {
    owner: hasOwnerColumn(table) ? buildOwnerStatements(db, table, named) : undefined,
    find: find('find', db.select({ data: table.data }).from(table).where(and(eq(table.token, token), live))),
    // Aliased, as a row straight from node-postgres is keyed by column name or alias.
    findWithExpiry: find(
      'find_with_expiry',
      db
        .select({ data: table.data, expiryMs: epochMillis(table.expiry).as('expiryMs') })
        .from(table)
        .where(and(eq(table.token, token), live)),
    ),
    // The finds of many callers in one statement (see find-coalescer.ts): the expiry comes
    // only when a findWithExpiry caller is in the batch, as reading it costs each row.
    findMany: find('find_many', db.select({ token: table.token, data: table.data }).from(table).where(and(anyToken, live))),
    findManyWithExpiry: find(
      'find_many_with_expiry',
      db
        .select({ token: table.token, data: table.data, expiryMs: epochMillis(table.expiry).as('expiryMs') })
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
    // The saves of many callers in one upsert (see save-coalescer.ts). Data and expiries
    // travel as array literals in text (see saveManyParams): each driver encodes a JS array
    // of bytes or dates its own way, and postgres.js cannot send a bytea[] at all.
    saveMany: named(
      'save_many',
      db
        .insert(table)
        .select(
          sql`select ${unnestedColumns(table)} from unnest(${sql.placeholder('tokens')}::text[], ${sql.placeholder('data')}::text::bytea[], ${sql.placeholder('expiries')}::text::timestamptz[]) as saved(token, data, expiry)`,
        )
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
    // Compare-and-swap: written only if the live row still holds the bytes the caller read,
    // so a commit never overwrites a change it has not seen. The caller sends SHA-256 of those
    // bytes (see replaceDigest), not the bytes: a compare costs 32 bytes on the wire whatever
    // the session's size, and the server hashes the row it already holds (sha256(bytea),
    // PostgreSQL 11 and later).
    replace: named(
      'replace',
      db
        .update(table)
        .set({ data: sql`${sql.param(sql.placeholder('data'), table.data)}`, expiry: expiryParam('expiry') })
        .where(and(eq(table.token, token), live, holdsDigest(table)))
        .returning({ replaced: sql<1>`1` }),
    ),
    // The compare-and-swaps of many callers in one statement (see replace-coalescer.ts), each
    // token once; the arrays travel as text, as saveMany's do (see replaceManyParams).
    replaceMany: named(
      'replace_many',
      db
        .update(table)
        .set({ data: sql`swapped.data`, expiry: sql`swapped.expiry` })
        .from(
          sql`unnest(${sql.placeholder('tokens')}::text[], ${sql.placeholder('digests')}::text::bytea[], ${sql.placeholder('data')}::text::bytea[], ${sql.placeholder('expiries')}::text::timestamptz[]) as swapped(token, digest, data, expiry)`,
        )
        .where(and(sql`${table.token} = swapped.token`, live, sql`sha256(${table.data}) = swapped.digest`))
        .returning({ token: table.token }),
    ),
    delete: named('delete', db.delete(table).where(eq(table.token, token))),
    // The deletes of many callers in one statement (see delete-coalescer.ts).
    deleteMany: named('delete_many', db.delete(table).where(anyToken)),
    clear: named('clear', db.delete(table)),
    all: named('all', db.select({ token: table.token, data: table.data }).from(table).where(live)),
    tokens: named('tokens', db.select({ token: table.token }).from(table).where(live)),
    count: named('count', db.select({ live: count() }).from(table).where(live)),
    deleteExpiredBatch: named('delete_expired', deleteExpiredBatchQuery(db, table, skipLocked)),
  };
}

/**
 * The parameters of the many-row save: the tokens as an array, the data and expiries as
 * PostgreSQL array literals (bytea in hex, expiries in ISO 8601 UTC), which every driver
 * sends as the text it is.
 */
export function saveManyParams(keys: string[], data: readonly Uint8Array[], expiries: readonly Date[]) {
  return {
    tokens: keys,
    data: byteaArray(data),
    expiries: `{${expiries.map((expiry) => expiry.toISOString()).join(',')}}`,
  };
}

/** A PostgreSQL bytea[] literal: each element in quotes, its backslash escaped, i.e. bytea's hex input `\x…`. */
function byteaArray(values: readonly Uint8Array[]): string {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  return `{${values.map((bytes) => `"\\\\x${hex(bytes)}"`).join(',')}}`;
}

/** The compare of a compare-and-swap: the row's data hashes to the `digest` placeholder. */
const holdsDigest = (table: SessionsTable) => sql`sha256(${table.data}) = ${sql.param(sql.placeholder('digest'), table.data)}`;

/** What a compare-and-swap sends for the bytes it expects the row to hold: their SHA-256. */
export const replaceDigest = (expected: Uint8Array): Uint8Array => createHash('sha256').update(expected).digest();

/** The parameters of the many-row compare-and-swap, encoded as {@link saveManyParams} encodes a save's. */
export function replaceManyParams(keys: string[], digests: readonly Uint8Array[], data: readonly Uint8Array[], expiries: readonly Date[]) {
  const { tokens, data: dataText, expiries: expiriesText } = saveManyParams(keys, data, expiries);
  return { tokens, digests: byteaArray(digests), data: dataText, expiries: expiriesText };
}

/**
 * What the many-row save inserts into each column of the table, in the table's order (drizzle
 * inserts into every column): the unnested token, data and expiry, and null into the rest (the
 * owner), as the single-row save leaves it on a new row. On conflict only data and expiry change.
 */
function unnestedColumns(table: SessionsTable): SQL {
  const saved = new Map<unknown, string>([
    [table.token, 'token'],
    [table.data, 'data'],
    [table.expiry, 'expiry'],
  ]);
  const columns = Object.values(getTableColumns(table)).map((column) => {
    const name = saved.get(column);
    return name === undefined ? sql`null` : sql.identifier(name);
  });
  return sql.join(columns, sql`, `);
}

/** Whether a sessions table was defined with `owner: true`. */
const hasOwnerColumn = (table: SessionsTable): table is OwnedSessionsTable =>
  is((table as Partial<OwnedSessionsTable>).owner, PgColumn);

/**
 * The query, kept out of any drizzle cache the database was made with. A cache must never
 * answer the store: with drizzle's `global` strategy every select is cached, so a session
 * signed out, changed or expired since (by another instance, which the cache does not hear
 * of) would still be found, and cleanup would count from the cache instead of deleting.
 * Selects opt out; inserts, updates and deletes have nothing to cache.
 */
export function uncached<Q>(query: Q): Q {
  const select = query as { $withCache?: (config: false) => Q };
  return typeof select.$withCache === 'function' ? select.$withCache(false) : query;
}

/** A select that resolves to rows of `Row` and can be prepared as a find. */
type SelectQuery<Row> = PromiseLike<Row[]> & { toSQL(): Query; prepare(name: string): FindStatement<Row> };

type Named = <Q extends { toSQL(): { sql: string }; prepare(name: string): unknown }>(op: string, query: Q) => ReturnType<Q['prepare']>;

/** The queries that need the owner column, for a table that has one. */
function buildOwnerStatements(db: SessionDatabase, table: OwnedSessionsTable, named: Named) {
  const owner = sql.placeholder('owner');
  const live = unexpired(table.expiry);
  // `except` is '' when there is none: no row has an empty token, so none is kept.
  const ended = db
    .$with('ended')
    .as(
      db
        .delete(table)
        .where(and(eq(table.owner, owner), ne(table.token, sql.placeholder('except'))))
        .returning({ expiry: table.expiry }),
    );
  return {
    // The owner is written with the row, so a session never exists without it.
    save: named(
      'save_owned',
      db
        .insert(table)
        .values({ token: sql.placeholder('token'), data: sql.placeholder('data'), expiry: sql.placeholder('expiry'), owner })
        .onConflictDoUpdate({
          target: table.token,
          set: { data: excluded(table.data), expiry: excluded(table.expiry), owner: excluded(table.owner) },
        }),
    ),
    replace: named(
      'replace_owned',
      db
        .update(table)
        .set({
          data: sql`${sql.param(sql.placeholder('data'), table.data)}`,
          expiry: sql`${sql.param(sql.placeholder('expiry'), table.expiry)}`,
          owner: sql`${owner}`,
        })
        .where(and(eq(table.token, sql.placeholder('token')), live, holdsDigest(table)))
        .returning({ replaced: sql<1>`1` }),
    ),
    sessionsOf: named(
      'sessions_of',
      db
        .select({ key: table.token, data: table.data, expiryMs: epochMillis(table.expiry) })
        .from(table)
        .where(and(eq(table.owner, owner), live))
        .orderBy(desc(table.expiry)),
    ),
    // Expired rows of the owner go too, but only the live ones were sessions to end.
    deleteOwner: named(
      'delete_owner',
      db.with(ended).select({ live: count() }).from(ended).where(unexpired(ended.expiry)),
    ),
  };
}

/** The prepared queries of one store. */
export type Statements = ReturnType<typeof buildStatements>;
