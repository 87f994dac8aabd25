import { parseArgs } from 'node:util';
import { commonHelp, databaseTarget, commonOptions, parseOrUsage } from './args.js';
import { migrationsTable, openDatabase } from './database.js';

export const migrateHelp = `Usage: drizzle-pgstore migrate [options]

Applies the migrations this package ships: creates the sessions table and its expiry
index if they are missing. Their history is kept in drizzle.${migrationsTable}, apart
from your app's own.

${commonHelp}`;

export async function migrateCommand(args: string[], out: (line: string) => void): Promise<void> {
  const { values } = parseOrUsage(() =>
    parseArgs({ args, options: { ...commonOptions }, strict: true }),
  );
  if (values.help) return out(migrateHelp);
  const database = await openDatabase(databaseTarget(values));
  try {
    await database.migrate();
    out(`migrated ${database.label}: the sessions table is ready`);
  } finally {
    await database.close();
  }
}
