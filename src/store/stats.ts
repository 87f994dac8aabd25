import { count, not, sql, type SQL } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { epochMillis, unexpired } from './expiry-sql.js';
import { sessions, type SessionsTable } from '../schema.js';
import type { SessionDatabase } from '../database.js';

/** The state of a sessions table, as {@link sessionStats} reads it. */
export interface SessionStats {
  /** Rows still live by the database clock. */
  live: number;
  /** Expired rows that a cleanup has not removed yet. */
  expired: number;
  /** Bytes of the table itself, with its TOAST data. */
  tableBytes: number;
  /** Bytes of its indexes. */
  indexBytes: number;
  /** The earliest expiry in the table, live or not; `null` when it is empty. */
  oldestExpiry: Date | null;
  /** The latest expiry in the table; `null` when it is empty. */
  newestExpiry: Date | null;
}

/** An aggregate of expiries as a Date, or null when the table is empty. */
const expiryDate = (aggregate: SQL) => epochMillis(aggregate).mapWith((milliseconds: number): Date | null => new Date(milliseconds));

/**
 * Reads how many sessions are live and expired, the table's size on disk, and its expiry
 * range, in one query.
 *
 * @example
 * ```ts
 * const { live, expired } = await sessionStats(db);
 * console.log(`${live} live, ${expired} awaiting cleanup`);
 * ```
 */
export async function sessionStats(db: SessionDatabase, table: SessionsTable = sessions): Promise<SessionStats> {
  const { name, schema } = getTableConfig(table);
  // regclass wants the quoted, qualified name; quote_ident quotes each part as needed.
  const regclass = schema === undefined
    ? sql`quote_ident(${name})::regclass`
    : sql`(quote_ident(${schema}) || '.' || quote_ident(${name}))::regclass`;
  const [row] = await db
    .select({
      live: count(sql`CASE WHEN ${unexpired(table.expiry)} THEN 1 END`),
      expired: count(sql`CASE WHEN ${not(unexpired(table.expiry))} THEN 1 END`),
      tableBytes: sql<string>`pg_table_size(${regclass})`.mapWith(Number),
      indexBytes: sql<string>`pg_indexes_size(${regclass})`.mapWith(Number),
      oldestExpiry: expiryDate(sql`min(${table.expiry})`),
      newestExpiry: expiryDate(sql`max(${table.expiry})`),
    })
    .from(table)
    .$withCache(false);
  // An aggregate without GROUP BY always yields one row.
  return row!;
}
