import type { MigrationConfig } from 'drizzle-orm/migrator';
import { reasonOf } from '../error-text.js';
import { migrations, ownerMigrations } from '../migrations.js';
import type { SessionDatabase } from '../database.js';
import { describeDatabaseUrl, hidePasswords, parseDatabaseUrl } from './database-url.js';
import { claimPgliteFolder } from './pglite-folder.js';
import { ensureShippedTable, runShippedStatements } from './shipped-table.js';

/**
 * Which database to open: a PostgreSQL URL, or a PGlite data folder. A PGlite folder is
 * created when missing or empty, unless `create` is false; one that holds anything but a
 * PGlite database is always refused.
 */
export type DatabaseTarget = { url: string } | { pgliteDir: string; create?: boolean };

/** What {@link OpenedDatabase.migrate} did. */
interface MigrateResult {
  /**
   * True when the table was missing although the migration history recorded it (it was
   * dropped, or the connection's search_path differs), and migrate made it again.
   */
  recreated: boolean;
}

/** An open database, with the shipped migrations ready to apply and a way to close it. */
interface OpenedDatabase {
  db: SessionDatabase;
  /** Says which database this is, without a password. */
  label: string;
  /**
   * Applies the shipped migrations that are not applied yet, and makes the table if it is
   * missing; with `owner`, gives it the owner column too.
   */
  migrate(options?: { owner?: boolean }): Promise<MigrateResult>;
  close(): Promise<void>;
}

/**
 * Opens the target through node-postgres or postgres.js, or PGlite (loaded only when needed,
 * as each is optional for a given app), and checks that it answers. A PGlite folder is held for this
 * process until `close()` or exit; another process opening it meanwhile is refused.
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenedDatabase> {
  return 'pgliteDir' in target ? openPglite(target.pgliteDir, target.create ?? true) : openPostgres(target.url);
}

/**
 * Imports a driver the package lists as an optional peer: an app installs the one it uses.
 * When it is missing, says which package to install, for which option.
 */
async function importDriver<T>(name: string, neededFor: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !message.includes(`'${name}'`)) throw error;
    throw new Error(`${neededFor} needs the package ${name}, which is not installed here: npm install ${name}`);
  }
}

/** What `migrate()` of an opened database does, through the migrator of its driver. */
const migrateWith =
  <D extends SessionDatabase>(db: D, migrate: (db: D, config: MigrationConfig) => Promise<void>) =>
  async ({ owner = false } = {}): Promise<MigrateResult> => {
    await migrate(db, migrations);
    const result = await ensureShippedTable(db, migrations);
    if (owner) {
      await migrate(db, ownerMigrations);
      // Its statements add only what is missing: a table made again after the history
      // recorded the column gets it back.
      await runShippedStatements(db, ownerMigrations);
    }
    return result;
  };

async function openPglite(folder: string, create: boolean): Promise<OpenedDatabase> {
  // Loaded before the folder is claimed, which may create it.
  const { PGlite } = await importDriver('@electric-sql/pglite', '--pglite', () => import('@electric-sql/pglite'));
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const claim = await claimPgliteFolder(folder, { create });
  const { lock } = claim;
  try {
    const client = await PGlite.create(folder).catch((error: unknown) => {
      // PGlite's file system errors are plain objects ({ name: 'ErrnoError', errno }).
      const { name, errno } = (error ?? {}) as { name?: unknown; errno?: unknown };
      const reason = error instanceof Error ? reasonOf(error) : `${String(name ?? 'error')} ${String(errno ?? '')}`.trim();
      throw new Error(`cannot open PGlite at ${folder}: ${reason}`, { cause: error });
    });
    if (claim.creates) await claim.created();
    const db = drizzle(client);
    return {
      db,
      label: `PGlite at ${folder}`,
      migrate: migrateWith(db, migrate),
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

/** Whether a module can be found from here, without loading it. */
const installed = (name: string) => {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
};

const URL_NEEDS = 'a database URL (--database-url or DATABASE_URL)';

/**
 * Opens a PostgreSQL URL through whichever driver the app installed: node-postgres, else
 * postgres.js. Either is an optional peer; an app has the one it uses.
 */
async function openPostgres(text: string): Promise<OpenedDatabase> {
  const label = describeDatabaseUrl(parseDatabaseUrl(text));
  if (!installed('pg') && installed('postgres')) return openPostgresJs(text, label);
  if (!installed('pg')) {
    throw new Error(`${URL_NEEDS} needs the package pg or postgres (postgres.js), and neither is installed here: npm install pg`);
  }
  const { default: pg } = await importDriver('pg', URL_NEEDS, () => import('pg'));
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const pool = new pg.Pool({ connectionString: text, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  await answers(label, text, () => pool.query('SELECT 1'), () => pool.end());
  const db = drizzle(pool);
  return { db, label, migrate: migrateWith(db, migrate), close: () => pool.end() };
}

async function openPostgresJs(text: string, label: string): Promise<OpenedDatabase> {
  const { default: postgres } = await importDriver('postgres', URL_NEEDS, () => import('postgres'));
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(text, { max: 4, connect_timeout: 10, onnotice: () => {} });
  await answers(label, text, () => client`SELECT 1`, () => client.end());
  const db = drizzle(client);
  return { db, label, migrate: migrateWith(db, migrate), close: () => client.end() };
}

/** Checks that the database answers; if not, closes the driver and says why, without the password. */
async function answers(label: string, text: string, ask: () => Promise<unknown>, close: () => Promise<void>): Promise<void> {
  try {
    await ask();
  } catch (error) {
    await close();
    // Driver messages may repeat the URL.
    throw new Error(`cannot connect to ${label}: ${hidePasswords(reasonOf(error), [text])}`);
  }
}
