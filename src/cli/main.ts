#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { oneLine } from '../error-text.js';
import { UsageError } from './args.js';
import { cleanupCommand } from './cleanup.js';
import { hashTokensCommand } from './hash-tokens.js';
import { hidePasswords } from './database-url.js';
import { migrateCommand } from './migrate.js';
import { PgliteFolderError } from './pglite-folder.js';
import { reencryptCommand } from './reencrypt.js';
import { scheduleCommand } from './schedule.js';
import { statsCommand } from './stats.js';

const help = `Usage: drizzle-pgstore <command> [options]

Commands:
  migrate   create the sessions table (apply the shipped migrations)
  cleanup   delete expired sessions once, in batches (for cron)
  schedule  install (or --remove) a pg_cron job that runs the cleanup in PostgreSQL
  stats     live and expired sessions, sizes, expiry range, cleanup job (--json for machines)
  reencrypt move every session to the current encryption key (keys from an environment
            variable, never the command line; see 'drizzle-pgstore reencrypt --help')
  hash-tokens  hash the tokens of a table written with hashTokens: false, once

The database is --database-url URL, else $DATABASE_URL, or --pglite DIR.
Run 'drizzle-pgstore <command> --help' for a command's options,
'drizzle-pgstore --version' (-v) for this package's version.`;

const out = (text: string) => console.log(text);
const progress = (text: string) => console.error(text);

const commands: Record<string, (args: string[]) => Promise<void>> = {
  migrate: (args) => migrateCommand(args, out),
  cleanup: (args) => cleanupCommand(args, out, progress),
  schedule: (args) => scheduleCommand(args, out),
  stats: (args) => statsCommand(args, out),
  reencrypt: (args) => reencryptCommand(args, out, progress),
  'hash-tokens': (args) => hashTokensCommand(args, out),
};

/** The version in this package's package.json, two folders up from `dist/cli/` and `src/cli/` alike. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Runs the CLI; every failure becomes one line on stderr and a non-zero exit status. */
async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') return out(help);
  if (name === '-v' || name === '--version' || name === 'version') return out(packageVersion());
  const command = commands[name];
  if (command) return command(args);
  const known = Object.keys(commands).join(', ');
  if (name.startsWith('-')) throw new UsageError(`the command comes first (${known}), then its options; got '${name}'`);
  throw new UsageError(`unknown command '${name}'; commands are ${known}`);
}

/**
 * Every string that may be a database URL: the arguments (also the value of an
 * `--option=value` one) and DATABASE_URL. Messages from drivers and from the argument
 * parser may repeat them.
 */
function possibleUrls(argv: string[]): string[] {
  const values = argv.map((arg) => /^--[\w-]+=(.*)$/s.exec(arg)?.[1]).filter((value) => value !== undefined);
  return [...argv, ...values, ...(process.env.DATABASE_URL ? [process.env.DATABASE_URL] : [])];
}

const argv = process.argv.slice(2);
main(argv).catch((error: unknown) => {
  const usage = error instanceof UsageError || error instanceof PgliteFolderError;
  const hint = error instanceof UsageError ? " (see 'drizzle-pgstore --help')" : '';
  console.error(`drizzle-pgstore: ${hidePasswords(oneLine(error), possibleUrls(argv))}${hint}`);
  process.exitCode = usage ? 2 : 1;
});
