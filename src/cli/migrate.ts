import { databaseHelp, databaseOptions, databaseTarget, parseOptions, tableOptions, UsageError } from './args.js';
import { migrations, ownerMigrations } from '../migrations.js';
import { openDatabase } from './database.js';
import { customTableHint } from './missing-table.js';

const migrateHelp = `Usage: drizzle-pgstore migrate [options]

Applies the migrations this package ships: creates the table \`sessions\` and its expiry
index, on the connection's search_path, if they are missing (also when their history, kept
in drizzle.${migrations.migrationsTable} apart from your app's own, says they were made).
A table of another name or schema (defineSessionsTable) belongs in your app's own
drizzle-kit migrations.

Options:
  --owner              also give the table a nullable owner column and its index, as
                       defineSessionsTable('sessions', { owner: true }) defines them, for
                       store.sessionsOf() and store.deleteOwner() (history kept in
                       drizzle.${ownerMigrations.migrationsTable})

${databaseHelp}`;

export async function migrateCommand(args: string[], out: (line: string) => void): Promise<void> {
  // --table and --schema are read only to say where such a table is made.
  const values = parseOptions(args, { ...databaseOptions, ...tableOptions, owner: { type: 'boolean' } });
  if (values.help) return out(migrateHelp);
  if (values.table !== undefined || values.schema !== undefined) throw new UsageError(customTableHint(values));
  const database = await openDatabase(databaseTarget(values, { mayCreate: true }));
  try {
    const owner = values.owner ?? false;
    const { recreated } = await database.migrate({ owner });
    const withOwner = owner ? ', with an owner column' : '';
    out(
      recreated
        ? `migrated ${database.label}: made the sessions table again${withOwner} (its migration history said it was made, but it was missing)`
        : `migrated ${database.label}: the sessions table is ready${withOwner}`,
    );
  } finally {
    await database.close();
  }
}
