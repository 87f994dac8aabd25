/**
 * The options of the Astro session driver: checked where astro.config calls
 * `pgSessionDriver`, so a mistake fails the build, and again where the server starts the
 * driver, for a config written by hand.
 */
import { checkOptionNames, checkRange, describeValue } from '../../input.js';

/**
 * Options of {@link pgSessionDriver}. They are written into the build as they are, so they
 * hold no secret: the database URL comes from the environment when the server runs.
 */
export interface PgSessionDriverOptions {
  /**
   * Seconds a session lives after its last change: its row expires then, and the store's
   * cleanup removes it. Default 86400 (a day). Astro passes drivers no TTL; its own
   * `session.ttl` only expires values inside a session, so if you set it, use the same number.
   */
  ttl?: number;
  /** The environment variable that holds the PostgreSQL URL. Default `DATABASE_URL`. */
  databaseUrlEnv?: string;
  /** The sessions table. Default `sessions`. */
  table?: string;
  /** The table's PostgreSQL schema. Default: the connection's `search_path` decides. */
  schema?: string;
  /** Milliseconds between cleanups of expired rows, as for PGStore. Default 5 minutes; 0 turns cleanup off. */
  cleanupInterval?: number;
}

/** Options of {@link createSessionDriver}. */
export interface SessionDriverOptions {
  /** Seconds a session's row lives after its last change. Default 86400 (a day). */
  ttl?: number;
}

const OPTION_NAMES = Object.keys({
  ttl: true,
  databaseUrlEnv: true,
  table: true,
  schema: true,
  cleanupInterval: true,
} satisfies Record<keyof PgSessionDriverOptions, true>);

/** A day, Astro's unit being the second. */
export const DEFAULT_TTL = 86_400;

/** The longest ttl: 100 years, as the other adapters allow. */
const TTL_RANGE = { min: 1, max: 100 * 366 * DEFAULT_TTL, unit: 'seconds', note: '100 years' };

export function checkTtl(ttl: unknown): asserts ttl is number | undefined {
  if (ttl !== undefined) checkRange('ttl', ttl, TTL_RANGE);
}

function checkName(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new TypeError(`drizzle-pgstore: ${name} must be a non-empty string, got ${describeValue(value)}`);
  }
}

/** Refuses options the driver does not know or cannot use, naming the option. */
export function checkDriverOptions(options: unknown): asserts options is PgSessionDriverOptions {
  checkOptionNames('pgSessionDriver', options, OPTION_NAMES);
  const { ttl, databaseUrlEnv, table, schema } = options as PgSessionDriverOptions;
  checkTtl(ttl);
  checkName('databaseUrlEnv', databaseUrlEnv);
  checkName('table', table);
  checkName('schema', schema);
  // cleanupInterval is left to PGStore, which checks it with the same words.
}
