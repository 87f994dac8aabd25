import { sql } from 'drizzle-orm';
import type { SessionDatabase } from '../database.js';
import { rowsOf } from './rows.js';
import { shellCommand } from './shell.js';

/** The table a command needs is not there; the message says what makes it. */
class MissingTableError extends Error {
  override readonly name = 'MissingTableError';
}

/** The CLI options that name a database, as the user gave them. */
interface DatabaseOptions {
  'database-url'?: string;
  pglite?: string;
}

/** The migrate command for the same database; the URL itself is never repeated (it may hold a password). */
function migrateCommand(values: DatabaseOptions): string {
  if (values.pglite !== undefined) return shellCommand('drizzle-pgstore', 'migrate', '--pglite', values.pglite);
  if (values['database-url'] !== undefined) return 'drizzle-pgstore migrate --database-url URL (the same URL)';
  return 'drizzle-pgstore migrate';
}

/**
 * How to make the table that --table and --schema name. `migrate` makes only the shipped
 * table; any other belongs in the app's own drizzle-kit migrations. drizzle-kit creates a
 * PostgreSQL schema only when the app's Drizzle schema exports it, so the hint names that
 * export too, unless `schemaExists` says the database has it already.
 */
export function customTableHint(values: { table?: string; schema?: string }, schemaExists = false): string {
  const exports: string[] = [];
  if (values.schema !== undefined && !schemaExists) {
    exports.push(`export const sessionsSchema = pgSchema(${JSON.stringify(values.schema)}) (import { pgSchema } from 'drizzle-orm/pg-core')`);
  }
  const options = values.schema === undefined ? '' : `, { schema: ${JSON.stringify(values.schema)} }`;
  exports.push(
    `export const sessionsTable = defineSessionsTable(${JSON.stringify(values.table ?? 'sessions')}${options}) ` +
      "(import { defineSessionsTable } from 'drizzle-pgstore/schema')",
  );
  return (
    `drizzle-pgstore migrate makes only the default table; make this one in your app's Drizzle schema with ${exports.join(' and ')}, ` +
    'then run drizzle-kit generate and drizzle-kit migrate'
  );
}

const isDefaultTable = (values: { table?: string; schema?: string }) =>
  values.schema === undefined && (values.table === undefined || values.table === 'sessions');

/**
 * PostgreSQL's undefined_table, deepest in the chain of causes: the driver's own words
 * ("relation … does not exist"), not a wrapper's (StoreQueryError carries the code too).
 */
function undefinedTable(error: unknown): Error | undefined {
  let found: Error | undefined;
  for (let reason = error; reason instanceof Error; reason = reason.cause) {
    if ((reason as { code?: unknown }).code === '42P01') found = reason;
  }
  return found;
}

async function schemaExists(db: SessionDatabase, schema: string | undefined): Promise<boolean> {
  if (schema === undefined) return true;
  const [row] = await rowsOf<{ found: boolean }>(db, sql`SELECT to_regnamespace(quote_ident(${schema})) IS NOT NULL AS found`);
  return row?.found === true;
}

/** Runs `work` on `db`; a missing table becomes a {@link MissingTableError} that says how to make it. */
export async function explainMissingTable<T>(
  values: DatabaseOptions & { table?: string; schema?: string },
  db: SessionDatabase,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const missing = undefinedTable(error);
    if (missing === undefined) throw error;
    const hint = isDefaultTable(values)
      ? `run ${migrateCommand(values)} first`
      : customTableHint(values, await schemaExists(db, values.schema));
    throw new MissingTableError(`${missing.message} (${hint})`);
  }
}
