import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the shipped migrations are, and the history table they keep; see {@link migrations}. */
interface ShippedMigrations {
  /**
   * The absolute path of the package's migrations folder (`drizzle/` or `drizzle-owner/`).
   * Found when read, not when the package is imported, so that a bundle that cannot find it
   * (a bundler that replaced `import.meta.dirname`) still imports; reading it there throws.
   */
  readonly migrationsFolder: string;
  /** The table that records which of them ran, apart from your app's own history. */
  readonly migrationsTable: string;
}

/**
 * The folder `name` beside the one this module is in (dist/ and src/ both sit beside
 * drizzle/ and drizzle-owner/). Asked only when a migrator reads it: at import time a
 * bundler may have replaced `import.meta.dirname` (webpack makes it undefined), and the main
 * entry must import anyway. The CommonJS build reads __dirname here.
 */
function shippedFolder(name: string): string {
  const here: unknown = import.meta.dirname;
  const folder = typeof here === 'string' ? join(here, '..', name) : undefined;
  if (folder === undefined || !existsSync(join(folder, 'meta', '_journal.json'))) {
    throw new Error(
      `drizzle-pgstore: cannot find its shipped migrations (the ${name}/ folder of the package)` +
        (folder === undefined ? ': this module was bundled and does not know where it is' : ` at ${folder}`) +
        '. Run `npx drizzle-pgstore migrate`, or apply them from a script that Node runs unbundled' +
        " (in Next.js, serverExternalPackages: ['drizzle-pgstore'] keeps the package unbundled).",
    );
  }
  return folder;
}

function shipped(folderName: string, migrationsTable: string): ShippedMigrations {
  return Object.freeze({
    get migrationsFolder() {
      return shippedFolder(folderName);
    },
    migrationsTable,
  });
}

/**
 * The migrations this package ships, which make the `sessions` table and its expiry index,
 * in the shape drizzle's migrators take: hand it to the one of your driver. Their history
 * is a table of their own, so that your app's migration history can never make them skip.
 *
 * @example
 * ```ts
 * import { migrate } from 'drizzle-orm/node-postgres/migrator';
 * import { migrations } from 'drizzle-pgstore';
 *
 * await migrate(db, migrations);
 * // In another PostgreSQL schema than drizzle's default for the history:
 * await migrate(db, { ...migrations, migrationsSchema: 'auth' });
 * ```
 */
export const migrations: ShippedMigrations = shipped('drizzle', '__drizzle_pgstore_migrations');

/**
 * The migration that gives the shipped `sessions` table an owner column and its partial
 * index, as `defineSessionsTable('sessions', { owner: true })` defines them, for
 * `store.sessionsOf` and `store.deleteOwner`. Apply it after {@link migrations}; it keeps a
 * history of its own, and adds nothing that is there already. `drizzle-pgstore migrate
 * --owner` applies both.
 *
 * @example
 * ```ts
 * await migrate(db, migrations);
 * await migrate(db, ownerMigrations);
 * ```
 */
export const ownerMigrations: ShippedMigrations = shipped('drizzle-owner', '__drizzle_pgstore_owner_migrations');
