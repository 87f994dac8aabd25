/**
 * What the queries say about expiry, defined once for the store and for `sessionStats`.
 * The database clock decides, as in pgstore, so app servers with skewed clocks agree.
 */
import { lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

const now = sql`current_timestamp`;

/** A live row: `current_timestamp < expiry`, pgstore's own test. */
export const unexpired = (expiry: PgColumn) => lt(now, expiry);

/** A row the cleanup deletes: one whose expiry has passed. */
export const expired = (expiry: PgColumn) => lt(expiry, now);

/**
 * A `timestamptz` as milliseconds since the epoch, in a `float8` every driver reads as a
 * number. Read as a timestamp, node-postgres parses the text itself and gets years 1 to 99
 * wrong (it puts them in the 1900s), and some pre-1900 times in zones with local mean time;
 * a number has no such trap. `date_trunc` drops the microseconds a Date cannot hold, in
 * the timestamp itself. PostgreSQL 13 and older give `extract(epoch ...)` as a float8, whose
 * 15 to 16 digits cannot hold the seconds and microseconds of a far year (2999: 17 digits),
 * so `floor` of it read 2999-...05.678999 as 05.679. Truncated first, the value is a whole
 * number of milliseconds, and `round` takes it exactly from a numeric (14 and later) or from
 * a float8 (13) alike.
 */
export const epochMillis = (timestamp: PgColumn | SQL) =>
  sql<number>`round(extract(epoch from date_trunc('milliseconds', ${timestamp})) * 1000)::float8`.mapWith(Number);
