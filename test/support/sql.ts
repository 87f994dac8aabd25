import type { Backend } from './backends.js';

/** Quotes a PostgreSQL identifier, whatever it holds. */
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The qualified, quoted name of a table. */
export const qualified = (table: string, schema?: string) =>
  schema === undefined ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`;

/**
 * The statements that make a sessions table as SCS pgstore documents it, under any name:
 * `table` and `index` are quoted (and qualified) names.
 */
export const sessionsTableDdl = (table: string, index: string) => [
  `CREATE TABLE ${table} (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)`,
  `CREATE INDEX ${index} ON ${table} (expiry)`,
];

/** Makes a sessions table under any name, as an app's migration would. */
export async function createSessionsTable(backend: Backend, table: string, schema?: string) {
  if (schema !== undefined) await backend.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  for (const statement of sessionsTableDdl(qualified(table, schema), quoteIdent(`${table}_expiry_idx`))) {
    await backend.query(statement);
  }
}

/** `hashToken` in SQL: SHA-256 of the text's UTF-8 bytes, base64url without padding. */
export const hashedInSql = (text: string) => `rtrim(translate(encode(sha256(convert_to(${text}, 'UTF8')), 'base64'), '+/', '-_'), '=')`;

/**
 * Inserts rows straight into a table, bypassing the store, expiring `seconds` from the
 * database's now: tokens `prefix1` to `prefixN`, kept under their hash (as a default store,
 * which hashes tokens, keeps them) or, with `hashTokens: false`, as they are.
 */
export async function insertRows(
  backend: Backend,
  table: string,
  count: number,
  seconds: number,
  prefix = 'row',
  { hashTokens = true } = {},
) {
  const token = '$1::text || i';
  await backend.query(
    `INSERT INTO ${table} (token, data, expiry)
     SELECT ${hashTokens ? hashedInSql(token) : token}, convert_to('data ' || i, 'UTF8'), current_timestamp + make_interval(secs => $2::int)
     FROM generate_series(1, $3::int) AS i`,
    [prefix, seconds, count],
  );
}

/** Rows in a table, live or expired. */
export async function countRows(backend: Backend, table = 'sessions'): Promise<number> {
  const [row] = await backend.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(row?.n);
}

/** The database's clock, in milliseconds since the epoch. */
export async function databaseNow(backend: Backend): Promise<number> {
  const [row] = await backend.query<{ ms: number | string }>(
    'SELECT (extract(epoch FROM current_timestamp) * 1000)::float8 AS ms',
  );
  return Number(row?.ms);
}

/** True when two byte arrays hold the same bytes. */
export const sameBytes = (a: Uint8Array | null, b: Uint8Array) =>
  a !== null && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
