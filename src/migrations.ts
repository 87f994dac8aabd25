import { join } from 'node:path';

/** Where the shipped migrations are, and the history table they keep; see {@link migrations}. */
interface ShippedMigrations {
  /** The absolute path of the package's `drizzle/` folder. */
  readonly migrationsFolder: string;
  /** The table that records which of them ran, apart from your app's own history. */
  readonly migrationsTable: string;
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
export const migrations: ShippedMigrations = Object.freeze({
  // dist/ and src/ both sit beside drizzle/. The CommonJS build reads __dirname here.
  migrationsFolder: join(import.meta.dirname, '..', 'drizzle'),
  migrationsTable: '__drizzle_pgstore_migrations',
});

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
export const ownerMigrations: ShippedMigrations = Object.freeze({
  migrationsFolder: join(import.meta.dirname, '..', 'drizzle-owner'),
  migrationsTable: '__drizzle_pgstore_owner_migrations',
});
