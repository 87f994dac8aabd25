import { shellCommand } from './shell.js';

/** The table a command needs is not there; the message says what makes it. */
export class MissingTableError extends Error {
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
 * table; any other belongs in the app's own drizzle-kit migrations, which make its schema too.
 */
export function customTableHint(values: { table?: string; schema?: string }): string {
  const name = JSON.stringify(values.table ?? 'sessions');
  const options = values.schema === undefined ? '' : `, { schema: ${JSON.stringify(values.schema)} }`;
  return (
    "drizzle-pgstore migrate makes only the default table; make this one in your app's Drizzle schema with " +
    `export const sessionsTable = defineSessionsTable(${name}${options}) ` +
    "(import { defineSessionsTable } from 'drizzle-pgstore/schema'), then run drizzle-kit generate and drizzle-kit migrate"
  );
}

const isDefaultTable = (values: { table?: string; schema?: string }) =>
  values.schema === undefined && (values.table === undefined || values.table === 'sessions');

/** PostgreSQL's undefined_table, anywhere in the chain of causes. */
function undefinedTable(error: unknown): Error | undefined {
  for (let reason = error; reason instanceof Error; reason = reason.cause) {
    if ((reason as { code?: unknown }).code === '42P01') return reason;
  }
  return undefined;
}

/** Runs `work`; a missing table becomes a {@link MissingTableError} that says how to make it. */
export async function explainMissingTable<T>(
  values: DatabaseOptions & { table?: string; schema?: string },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const missing = undefinedTable(error);
    if (missing === undefined) throw error;
    const hint = isDefaultTable(values) ? `run ${migrateCommand(values)} first` : customTableHint(values);
    throw new MissingTableError(`${missing.message} (${hint})`);
  }
}
