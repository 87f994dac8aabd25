import { fileURLToPath } from 'node:url';
import type { SessionDatabase } from '../statements.js';

/** Where the shipped migrations live, next to `dist/` and `src/` alike. */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** The history table of the shipped migrations, apart from any app's own. */
export const migrationsTable = '__drizzle_pgstore_migrations';

/** Which database to open: a PostgreSQL URL, or a PGlite data folder. */
export type DatabaseTarget = { url: string } | { pgliteDir: string };

/** An open database, with the shipped migrations ready to apply and a way to close it. */
export interface OpenedDatabase {
  db: SessionDatabase;
  /** Says which database this is, without a password. */
  label: string;
  /** Applies the shipped migrations that are not applied yet. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const redact = (url: string) => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'the database URL';
  }
};

/**
 * Opens the target through node-postgres or PGlite (loaded only when needed, as both are
 * optional for a given app), and checks that it answers.
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenedDatabase> {
  const config = { migrationsFolder, migrationsTable };
  if ('pgliteDir' in target) {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const client = await PGlite.create(target.pgliteDir).catch((error: unknown) => {
      // PGlite's file system errors are plain objects ({ name: 'ErrnoError', errno }).
      const { name, errno } = (error ?? {}) as { name?: unknown; errno?: unknown };
      const reason = error instanceof Error ? error.message : `${String(name ?? 'error')} ${String(errno ?? '')}`.trim();
      throw new Error(`cannot open PGlite at ${target.pgliteDir}: ${reason}`, { cause: error });
    });
    const db = drizzle(client);
    return {
      db,
      label: `PGlite at ${target.pgliteDir}`,
      migrate: () => migrate(db, config),
      close: () => client.close(),
    };
  }
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const pool = new pg.Pool({ connectionString: target.url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const label = redact(target.url);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new Error(`cannot reach ${label}: ${(error as Error).message || (error as NodeJS.ErrnoException).code}`);
  }
  const db = drizzle(pool);
  return { db, label, migrate: () => migrate(db, config), close: () => pool.end() };
}
