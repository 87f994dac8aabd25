import { isNotNull } from 'drizzle-orm';
import { customType, index, pgSchema, pgTable, text, timestamp, type PgTableFn } from 'drizzle-orm/pg-core';

/**
 * A PostgreSQL `bytea` column whose TypeScript type is `Uint8Array`.
 *
 * drizzle-orm has no built-in bytea. node-postgres and postgres.js hand back a `Buffer`,
 * PGlite a plain `Uint8Array`; both are `Uint8Array`, so values pass through untouched
 * (no copy in either direction).
 */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

/** PostgreSQL keeps 63 bytes of an identifier and silently cuts the rest. */
const MAX_IDENTIFIER_BYTES = 63;
const INDEX_SUFFIX = '_expiry_idx';
const OWNER_INDEX_SUFFIX = '_owner_idx';

function checkIdentifier(what: string, name: unknown, maxBytes: number): asserts name is string {
  if (typeof name !== 'string') {
    throw new TypeError(`drizzle-pgstore: ${what} must be a string, got ${typeof name}`);
  }
  if (name.length === 0) throw new RangeError(`drizzle-pgstore: ${what} must not be empty`);
  if (name.includes('\0')) throw new RangeError(`drizzle-pgstore: ${what} must not contain NUL`);
  // Past the limit PostgreSQL would truncate the name and two long names could collide.
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxBytes) {
    throw new RangeError(`drizzle-pgstore: ${what} is ${bytes} bytes; at most ${maxBytes} fit`);
  }
}

function sessionsColumns() {
  return {
    token: text('token').primaryKey(),
    data: bytea('data').notNull(),
    expiry: timestamp('expiry', { withTimezone: true, mode: 'date' }).notNull(),
  };
}

/** Both makers build the same table; only the type of `schema` differs, so widen it to one. */
const tableMaker = (schema: string | undefined): PgTableFn<string | undefined> =>
  schema === undefined ? pgTable : pgSchema(schema).table;

function buildSessionsTable<TName extends string>(name: TName, schema: string | undefined) {
  return tableMaker(schema)(name, sessionsColumns(), (t) => [index(`${name}${INDEX_SUFFIX}`).on(t.expiry)]);
}

function buildOwnedSessionsTable<TName extends string>(name: TName, schema: string | undefined) {
  return tableMaker(schema)(name, { ...sessionsColumns(), owner: text('owner') }, (t) => [
    index(`${name}${INDEX_SUFFIX}`).on(t.expiry),
    // Partial: most sites have many anonymous sessions, and they need no entry.
    index(`${name}${OWNER_INDEX_SUFFIX}`).on(t.owner).where(isNotNull(t.owner)),
  ]);
}

/** The Drizzle type of a sessions table made by {@link defineSessionsTable}. */
export type SessionsTable<TName extends string = string> = ReturnType<typeof buildSessionsTable<TName>>;

/**
 * The Drizzle type of a sessions table with an owner column, made by
 * `defineSessionsTable(name, { owner: true })`: SCS's three columns and a nullable `owner text`.
 */
export type OwnedSessionsTable<TName extends string = string> = ReturnType<typeof buildOwnedSessionsTable<TName>>;

/** Options for {@link defineSessionsTable}. */
export interface SessionsTableOptions {
  /** PostgreSQL schema to put the table in; the connection's `search_path` decides when unset. */
  schema?: string;
  /**
   * Add a nullable `owner text` column, indexed where it is set, so that a user's sessions
   * can be listed and ended together (`sessionsOf`, `deleteOwner`). Default false: SCS's
   * table exactly. A Go SCS service can still share the table; it never names the column.
   */
  owner?: boolean;
}

/**
 * Defines the sessions table under another name or in another PostgreSQL schema.
 *
 * The columns and the expiry index are those of SCS's pgstore; only the names change, unless
 * `owner: true` adds the owner column and its partial index `<name>_owner_idx`.
 * The index is called `<name>_expiry_idx`. Names may hold any character but NUL (they are
 * always quoted); the table name is limited to 52 bytes so that its index name still fits
 * PostgreSQL's 63.
 *
 * @example
 * ```ts
 * export const authSessions = defineSessionsTable('user_sessions', { schema: 'auth' });
 * const store = new PGStore(db, { table: authSessions });
 *
 * // The shipped name, with an owner column, for store.sessionsOf() and store.deleteOwner():
 * export const sessions = defineSessionsTable('sessions', { owner: true });
 * ```
 */
export function defineSessionsTable<TName extends string = 'sessions'>(
  name: TName,
  options: SessionsTableOptions & { owner: true },
): OwnedSessionsTable<TName>;
export function defineSessionsTable<TName extends string = 'sessions'>(
  name?: TName,
  options?: SessionsTableOptions & { owner?: false },
): SessionsTable<TName>;
export function defineSessionsTable<TName extends string = 'sessions'>(
  name?: TName,
  options?: SessionsTableOptions,
): SessionsTable<TName> | OwnedSessionsTable<TName>;
export function defineSessionsTable<TName extends string = 'sessions'>(
  name: TName = 'sessions' as TName,
  options: SessionsTableOptions = {},
): SessionsTable<TName> | OwnedSessionsTable<TName> {
  checkIdentifier('table name', name, MAX_IDENTIFIER_BYTES - INDEX_SUFFIX.length);
  if (options.schema !== undefined) checkIdentifier('schema name', options.schema, MAX_IDENTIFIER_BYTES);
  if (options.owner !== undefined && typeof options.owner !== 'boolean') {
    throw new TypeError(`drizzle-pgstore: owner must be true or false, got ${typeof options.owner}`);
  }
  return options.owner ? buildOwnedSessionsTable(name, options.schema) : buildSessionsTable(name, options.schema);
}

/**
 * The sessions table exactly as SCS's pgstore defines it:
 *
 * ```sql
 * CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
 * CREATE INDEX sessions_expiry_idx ON sessions (expiry);
 * ```
 *
 * Re-export it from your own Drizzle schema so that drizzle-kit manages it with your tables.
 *
 * @example
 * ```ts
 * // src/db/schema.ts
 * export { sessions } from 'drizzle-pgstore/schema';
 * ```
 */
export const sessions = defineSessionsTable('sessions');
