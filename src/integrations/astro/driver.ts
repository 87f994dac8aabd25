/**
 * The module `pgSessionDriver()` names as Astro's session driver entrypoint
 * (`drizzle-pgstore/astro/driver`): Astro loads it into the server build and calls its
 * default export once, at the first session a request uses, with the options from astro.config.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { oneLine } from '../../error-text.js';
import { defineSessionsTable, sessions } from '../../schema.js';
import { PGStore } from '../../store/pg-store.js';
import { checkDriverOptions, type PgSessionDriverOptions } from './options.js';
import { createSessionDriver, type AstroSessionDriver } from './session-driver.js';

/** The URL in `name`, refused without being quoted: it holds the database password. */
function databaseUrl(name: string): string {
  const url = process.env[name];
  if (!url) throw new Error(`drizzle-pgstore: the Astro session driver reads its PostgreSQL URL from ${name}, which is not set`);
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined;
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new Error(`drizzle-pgstore: ${name} must be a postgres:// or postgresql:// URL`);
  }
  return url;
}

/**
 * Opens a node-postgres pool on the URL in the environment and a PGStore on it that keeps
 * SHA-256 of each session ID, not the ID, and removes expired rows in the background.
 * Neither keeps the process alive.
 */
function open(config: PgSessionDriverOptions): AstroSessionDriver {
  checkDriverOptions(config);
  const { ttl, databaseUrlEnv = 'DATABASE_URL', table, schema, cleanupInterval } = config;
  const pool = new pg.Pool({ connectionString: databaseUrl(databaseUrlEnv), allowExitOnIdle: true });
  // Without a listener, an idle connection the server drops would end the process.
  pool.on('error', (error) => console.error(`drizzle-pgstore: a pooled database connection failed: ${oneLine(error)}`));
  const named = table !== undefined || schema !== undefined;
  const store = new PGStore(drizzle(pool), {
    hashTokens: true,
    table: named ? defineSessionsTable(table ?? 'sessions', schema === undefined ? {} : { schema }) : sessions,
    ...(cleanupInterval === undefined ? {} : { cleanupInterval }),
  });
  return createSessionDriver(store, ttl === undefined ? {} : { ttl });
}

/**
 * The driver Astro asks for. Astro logs an error thrown here as "Unknown error", without
 * it, so one that stops the driver from opening (an unset DATABASE_URL, a bad option) is
 * the rejection of each call instead, which Astro logs as it is.
 */
export default function openSessionDriver(config: PgSessionDriverOptions = {}): AstroSessionDriver {
  try {
    return open(config);
  } catch (error) {
    const refuse = () => Promise.reject(error);
    return createSessionDriver({ find: refuse, save: refuse, delete: refuse });
  }
}
