import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeRange, parseInRange, type NumberRange } from '../input.js';
import { defineSessionsTable, sessions, type SessionsTable } from '../schema.js';
import type { DatabaseTarget } from './database.js';
import { DatabaseUrlError, parseDatabaseUrl } from './database-url.js';

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
                       (one process at a time: stop the app that uses it first)
  -h, --help           this help`;

export const tableHelp = `Table:
  --table NAME         the sessions table (default: sessions)
  --schema NAME        its PostgreSQL schema (default: the search_path)`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** The values `parseArgs` gives for `options` in strict mode. */
type ParsedOptions<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/**
 * Parses a command's options, turning Node's parse errors into usage errors. A negative
 * number after an option that takes a value is taken as its value (Node would call it
 * an option), so that `--batch-size -5` gets the option's own range message.
 */
export function parseOptions<const O extends Options>(args: string[], options: O): ParsedOptions<O> {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    // An ambiguous value needs all of Node's explanation; other messages, their first line.
    throw new UsageError(code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? message : message.split('\n')[0]);
  }
}

/**
 * The database to open, from --database-url, DATABASE_URL or --pglite. A PGlite folder
 * must hold a database already unless the command may create one, so a mistyped path is
 * not taken for a new, empty database.
 */
export function databaseTarget(
  values: { 'database-url'?: string; pglite?: string },
  { mayCreate = false } = {},
): DatabaseTarget {
  if (values['database-url'] !== undefined && values.pglite !== undefined) {
    throw new UsageError('give --database-url or --pglite, not both');
  }
  if (values.pglite !== undefined) {
    // PGlite takes an empty path for a throwaway in-memory database: never what an operator means.
    if (values.pglite.trim() === '') throw new UsageError('--pglite needs a folder');
    return { pgliteDir: values.pglite, create: mayCreate };
  }
  const source = values['database-url'] === undefined ? 'DATABASE_URL' : '--database-url';
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  if (url === '') throw new UsageError(`${source} is empty`);
  if (url === undefined) throw new UsageError('no database: pass --database-url URL or --pglite DIR, or set DATABASE_URL');
  try {
    parseDatabaseUrl(url, source);
  } catch (error) {
    throw error instanceof DatabaseUrlError ? new UsageError(error.message) : error;
  }
  return { url };
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

/**
 * A whole number option, parsed from its text and checked against its range as the library
 * checks its own options; the message gives the range and the text as typed.
 */
export function integerOption(name: string, text: string | undefined, fallback: number, range: NumberRange): number {
  if (text === undefined) return fallback;
  const number = parseInRange(text, range);
  if (number === undefined) throw new UsageError(`--${name} must be ${describeRange(range)}, got '${text}'`);
  return number;
}
