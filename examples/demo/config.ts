import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRange, parseInRange } from '../../src/input.js';

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

// Next to the repository's .gitignore'd .data, wherever the demo is started from.
const defaultDataDir = fileURLToPath(new URL('../../.data/demo', import.meta.url));

export function readConfig(env: NodeJS.ProcessEnv): DemoConfig {
  return {
    port: wholeNumber('PORT', env.PORT, 3000, 65_535),
    dataDir: env.DEMO_DATA_DIR || defaultDataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    cleanupInterval: wholeNumber('CLEANUP_INTERVAL_MS', env.CLEANUP_INTERVAL_MS, 60_000, 2 ** 31 - 1),
    sessionSecret: env.SESSION_SECRET || undefined,
  };
}

function wholeNumber(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const range = { min: 0, max };
  const value = parseInRange(text, range);
  if (value === undefined) throw new Error(`${name} must be ${describeRange(range)}, got ${JSON.stringify(text)}`);
  return value;
}

/**
 * The secret that signs session cookies: made once and kept in the data folder, so that
 * cookies handed out before a restart are still accepted after it.
 */
export async function loadSessionSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, 'session-secret');
  try {
    // 'wx' fails when the file exists, so a secret once written is never replaced.
    await writeFile(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret === '') throw new Error(`${file} is empty; delete it to have a new secret made`);
  return secret;
}
