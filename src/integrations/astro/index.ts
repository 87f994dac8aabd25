/**
 * Sessions for Astro: a session driver, so that `Astro.session` and `context.session` keep
 * each session in a PostgreSQL row that expires. Only this entry point
 * (`drizzle-pgstore/astro`) and the driver module it names are about Astro; neither loads
 * Astro itself.
 */
import { checkDriverOptions, type PgSessionDriverOptions } from './options.js';

export { createSessionDriver, type AstroSessionDriver } from './session-driver.js';
export type { PgSessionDriverOptions, SessionDriverOptions } from './options.js';

/** Astro's `SessionDriverConfig` as {@link pgSessionDriver} makes it. */
export interface PgSessionDriverConfig {
  /** The driver module, as a package specifier Astro resolves in the app. */
  entrypoint: 'drizzle-pgstore/astro/driver';
  config: PgSessionDriverOptions;
}

/**
 * The session driver for astro.config's `session.driver`: sessions in a PostgreSQL table
 * through a PGStore (session IDs hashed, expired rows cleaned), on the database whose URL is
 * in `DATABASE_URL` (or `databaseUrlEnv`) when the server runs. Apply the shipped migrations
 * first (`npx drizzle-pgstore migrate`). Options are checked here, so a mistake fails the build.
 *
 * @example
 * ```ts
 * // astro.config.ts
 * const ttl = 7 * 24 * 3600; // seconds
 * export default defineConfig({
 *   output: 'server',
 *   adapter: node({ mode: 'standalone' }),
 *   session: { driver: pgSessionDriver({ ttl }) },
 * });
 * ```
 */
export function pgSessionDriver(options: PgSessionDriverOptions = {}): PgSessionDriverConfig {
  checkDriverOptions(options);
  return { entrypoint: 'drizzle-pgstore/astro/driver', config: { ...options } };
}
