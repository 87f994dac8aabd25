import { sql } from 'drizzle-orm';
import { readMigrationFiles, type MigrationConfig } from 'drizzle-orm/migrator';
import type { SessionDatabase } from '../database.js';
import { rowsOf } from './rows.js';

/**
 * Makes the shipped sessions table again when the migration history records it but the
 * connection's search_path has none (it was dropped, or this is another schema): the
 * history is one per database, so the migrator alone would never make it again. The
 * shipped statements are all `IF NOT EXISTS`, so running them again is safe.
 */
export async function ensureShippedTable(db: SessionDatabase, config: MigrationConfig): Promise<{ recreated: boolean }> {
  const [row] = await rowsOf<{ present: boolean }>(db, sql`SELECT to_regclass('sessions') IS NOT NULL AS present`);
  if (row?.present) return { recreated: false };
  await runShippedStatements(db, config);
  return { recreated: true };
}

/** Runs every statement of shipped migrations, in one transaction, whatever their history says. */
export async function runShippedStatements(db: SessionDatabase, config: MigrationConfig): Promise<void> {
  const migrations = readMigrationFiles(config);
  await db.transaction(async (tx) => {
    for (const migration of migrations) {
      for (const statement of migration.sql) await tx.execute(sql.raw(statement));
    }
  });
}
