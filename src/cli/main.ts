#!/usr/bin/env node
import { UsageError } from './args.js';
import { cleanupCommand } from './cleanup.js';
import { migrateCommand } from './migrate.js';
import { statsCommand } from './stats.js';

const help = `Usage: drizzle-pgstore <command> [options]

Commands:
  migrate   create the sessions table (apply the shipped migrations)
  cleanup   delete expired sessions once, in batches (for cron)
  stats     live and expired sessions, sizes, expiry range (--json for machines)

The database is --database-url URL, else $DATABASE_URL, or --pglite DIR.
Run 'drizzle-pgstore <command> --help' for a command's options.`;

const out = (text: string) => console.log(text);
const progress = (text: string) => console.error(text);

const commands: Record<string, (args: string[]) => Promise<void>> = {
  migrate: (args) => migrateCommand(args, out),
  cleanup: (args) => cleanupCommand(args, out, progress),
  stats: (args) => statsCommand(args, out),
};

/** Runs the CLI; every failure becomes one line on stderr and a non-zero exit status. */
async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') return out(help);
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; commands are ${Object.keys(commands).join(', ')}`);
  await command(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError;
  let reason: unknown = error;
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause;
  const text = reason instanceof Error ? reason.message : String(reason);
  const undefinedTable = (reason as { code?: unknown }).code === '42P01';
  const hint = usage ? " (see 'drizzle-pgstore --help')" : undefinedTable ? " (run 'drizzle-pgstore migrate' first)" : '';
  console.error(`drizzle-pgstore: ${text.replace(/\s+/g, ' ')}${hint}`);
  process.exitCode = usage ? 2 : 1;
});
