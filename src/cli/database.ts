import { fileURLToPath } from 'node:url';
import { reasonOf } from '../error-text.js';
import type { SessionDatabase } from '../statements.js';
import { describeDatabaseUrl, hidePasswords, parseDatabaseUrl } from './database-url.js';
import { claimPgliteFolder } from './pglite-folder.js';
import { ensureShippedTable } from './shipped-table.js';

/** Where the shipped migrations live, next to `dist/` and `src/` alike. */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** The history table of the shipped migrations, apart from any app's own. */
export const migrationsTable = '__drizzle_pgstore_migrations';

/**
 * Which database to open: a PostgreSQL URL, or a PGlite data folder. A PGlite folder is
 * created when missing or empty, unless `create` is false; one that holds anything but a
 * PGlite database is always refused.
 */
export type DatabaseTarget = { url: string } | { pgliteDir: string; create?: boolean };

/** What {@link OpenedDatabase.migrate} did. */
export interface MigrateResult {
  /**
   * True when the table was missing although the migration history recorded it (it was
   * dropped, or the connection's search_path differs), and migrate made it again.
   */
  recreated: boolean;
}

/** An open database, with the shipped migrations ready to apply and a way to close it. */
export interface OpenedDatabase {
  db: SessionDatabase;
  /** Says which database this is, without a password. */
  label: string;
  /** Applies the shipped migrations that are not applied yet, and makes the table if it is missing. */
  migrate(): Promise<MigrateResult>;
  close(): Promise<void>;
}

const config = { migrationsFolder, migrationsTable };

/**
 * Opens the target through node-postgres or PGlite (loaded only when needed, as both are
 * optional for a given app), and checks that it answers. A PGlite folder is held for this
 * process until `close()` or exit; another process opening it meanwhile is refused.
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenedDatabase> {
  return 'pgliteDir' in target ? openPglite(target.pgliteDir, target.create ?? true) : openPostgres(target.url);
}

async function openPglite(folder: string, create: boolean): Promise<OpenedDatabase> {
  const lock = await claimPgliteFolder(folder, { create });
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const client = await PGlite.create(folder).catch((error: unknown) => {
      // PGlite's file system errors are plain objects ({ name: 'ErrnoError', errno }).
      const { name, errno } = (error ?? {}) as { name?: unknown; errno?: unknown };
      const reason = error instanceof Error ? error.message : `${String(name ?? 'error')} ${String(errno ?? '')}`.trim();
      throw new Error(`cannot open PGlite at ${folder}: ${reason}`, { cause: error });
    });
    const db = drizzle(client);
    return {
      db,
      label: `PGlite at ${folder}`,
      migrate: async () => {
        await migrate(db, config);
        return ensureShippedTable(db, config);
      },
      close: async () => {
        try {
          await client.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openPostgres(text: string): Promise<OpenedDatabase> {
  const label = describeDatabaseUrl(parseDatabaseUrl(text));
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const pool = new pg.Pool({ connectionString: text, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    // Driver messages may repeat parts of the URL (a host that was a password by mistake).
    throw new Error(`cannot connect to ${label}: ${hidePasswords(reasonOf(error), [text])}`);
  }
  const db = drizzle(pool);
  return {
    db,
    label,
    migrate: async () => {
      await migrate(db, config);
      return ensureShippedTable(db, config);
    },
    close: () => pool.end(),
  };
}
