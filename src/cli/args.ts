import { statSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { defineSessionsTable, sessions, type SessionsTable } from '../schema.js';
import type { DatabaseTarget } from './database.js';

/** A mistake in how the CLI was called: reported in one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options every command takes: where the database is. */
export const databaseOptions = {
  'database-url': { type: 'string' },
  pglite: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Options of the commands that work on any sessions table, not only the shipped one. */
export const tableOptions = {
  table: { type: 'string' },
  schema: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const databaseHelp = `Database:
  --database-url URL   PostgreSQL to use (default: $DATABASE_URL)
  --pglite DIR         an embedded PGlite database kept in the folder DIR instead
  -h, --help           this help`;

export const tableHelp = `Table:
  --table NAME         the sessions table (default: sessions)
  --schema NAME        its PostgreSQL schema (default: the search_path)`;

/** Runs a `parseArgs` call, turning Node's parse errors into usage errors. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

/**
 * The database to open, from --database-url, DATABASE_URL or --pglite. A PGlite folder
 * must exist unless the command may create it, so a mistyped path is not taken for a new,
 * empty database.
 */
export function databaseTarget(
  values: { 'database-url'?: string; pglite?: string },
  { mayCreate = false } = {},
): DatabaseTarget {
  if (values['database-url'] !== undefined && values.pglite !== undefined) {
    throw new UsageError('give --database-url or --pglite, not both');
  }
  if (values.pglite !== undefined) return { pgliteDir: pgliteFolder(values.pglite, mayCreate) };
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError('no database: pass --database-url URL or --pglite DIR, or set DATABASE_URL');
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`not a PostgreSQL URL: ${url.slice(0, 40)}`);
  return { url };
}

function pgliteFolder(dir: string, mayCreate: boolean): string {
  // PGlite takes an empty path for a throwaway in-memory database: never what an operator means.
  if (dir.trim() === '') throw new UsageError('--pglite needs a folder');
  const found = statSync(dir, { throwIfNoEntry: false });
  if (found && !found.isDirectory()) throw new UsageError(`--pglite ${dir}: not a folder`);
  if (!found && !mayCreate) {
    throw new UsageError(`--pglite ${dir}: no such folder ('drizzle-pgstore migrate --pglite ${dir}' creates one)`);
  }
  return dir;
}

/** The table named by --table and --schema. */
export function tableOption(values: { table?: string; schema?: string }): SessionsTable {
  if (values.table === undefined && values.schema === undefined) return sessions;
  try {
    return defineSessionsTable(values.table ?? 'sessions', values.schema === undefined ? {} : { schema: values.schema });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^drizzle-pgstore: /, ''));
  }
}

function integerOption(name: string, value: string | undefined, fallback: number, least: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(number) || number < least) {
    throw new UsageError(`--${name} must be an integer of at least ${least}, got '${value}'`);
  }
  return number;
}

/** An integer option of at least 1. */
export const positiveInteger = (name: string, value: string | undefined, fallback: number) =>
  integerOption(name, value, fallback, 1);

/** An integer option of at least 0. */
export const nonNegativeInteger = (name: string, value: string | undefined, fallback: number) =>
  integerOption(name, value, fallback, 0);
