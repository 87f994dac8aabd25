import { parseArgs } from 'node:util';
import { sessions } from '../schema.js';
import { databaseHelp, databaseOptions, databaseTarget, parseOrUsage } from './args.js';
import { migrationsTable, openDatabase } from './database.js';

export const migrateHelp = `Usage: drizzle-pgstore migrate [options]

Applies the migrations this package ships: creates the table \`sessions\` and its expiry
index, on the connection's search_path, if they are missing. Their history is kept in
drizzle.${migrationsTable}, apart from your app's own. A table of another name or
schema (defineSessionsTable) belongs in your app's own Drizzle migrations.

${databaseHelp}`;

export async function migrateCommand(args: string[], out: (line: string) => void): Promise<void> {
  const { values } = parseOrUsage(() =>
    parseArgs({ args, options: { ...databaseOptions }, strict: true }),
  );
  if (values.help) return out(migrateHelp);
  const database = await openDatabase(databaseTarget(values, { mayCreate: true }));
  try {
    await database.migrate();
    // The history is one per database, so a run on another search_path finds the
    // migration recorded and creates nothing: say so rather than claim success.
    const tableIsThere = await database.db
      .select({ token: sessions.token })
      .from(sessions)
      .limit(1)
      .then(() => true, () => false);
    if (!tableIsThere) {
      throw new Error(
        `the shipped migration is recorded in drizzle.${migrationsTable}, but no sessions table can be read on this connection's search_path; create it with your app's drizzle-kit migrations`,
      );
    }
    out(`migrated ${database.label}: the sessions table is ready`);
  } finally {
    await database.close();
  }
}
