import { fileURLToPath } from 'node:url';

/** How the demo runs, from environment variables; every one is optional. */
export interface DemoConfig {
  /** TCP port on 127.0.0.1; 0 takes any free one. `PORT`, default 3000. */
  port: number;
  /** Holds the PGlite database and the generated session secret. `DEMO_DATA_DIR`, default `.data/demo`. */
  dataDir: string;
  /** PostgreSQL to use instead of PGlite. `DATABASE_URL`. */
  databaseUrl: string | undefined;
  /** `CLEANUP_INTERVAL_MS`, default one minute so the status page soon shows a run. */
  cleanupInterval: number;
  /** `SESSION_SECRET`; when unset one is generated and kept in the data folder. */
  sessionSecret: string | undefined;
}

/** A setting the demo cannot run with; the message is meant for the person starting it. */
export class ConfigError extends Error {}

// Next to the repository's .gitignore'd .data, wherever the demo is started from.
const defaultDataDir = fileURLToPath(new URL('../../.data/demo', import.meta.url));

function whole(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ConfigError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  return {
    port: whole('PORT', env.PORT, 3000, 65_535),
    dataDir: env.DEMO_DATA_DIR || defaultDataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    cleanupInterval: whole('CLEANUP_INTERVAL_MS', env.CLEANUP_INTERVAL_MS, 60_000, 2 ** 31 - 1),
    sessionSecret: env.SESSION_SECRET || undefined,
  };
}
