import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { expect } from 'vitest';
import { databaseUrl, uniqueName } from './backends.js';

/** The built CLI: `npm run build` makes it. */
export const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What a CLI run printed, and its exit status. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with DATABASE_URL unset unless given. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Checks that a failed run printed one line on stderr and nothing else; returns that line. */
export function oneLine(result: CliResult): string {
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return result.stderr.trim();
}

/** A database the CLI is pointed at, with a raw SQL runner on it. */
export interface Target {
  /** The CLI arguments that name it. */
  args: string[];
  /** The environment that names it. */
  env?: Record<string, string>;
  exec(text: string): Promise<Array<Record<string, unknown>>>;
  done(): Promise<void>;
}

/** A PGlite folder of its own, not created yet: `migrate` makes the database in it. */
async function pgliteTarget(): Promise<Target> {
  const parent = await mkdtemp(join(tmpdir(), 'pgstore-cli-'));
  const dir = join(parent, 'pglite');
  // PGlite keeps a folder to one process at a time, so each look opens and closes it.
  const exec = async (text: string) => {
    const client = await PGlite.create(dir);
    try {
      const results = await client.exec(text);
      return (results.at(-1)?.rows ?? []) as Array<Record<string, unknown>>;
    } finally {
      await client.close();
    }
  };
  return { args: ['--pglite', dir], exec, done: () => rm(parent, { recursive: true, force: true }) };
}

/** A PostgreSQL database of its own, given to the CLI in DATABASE_URL. */
export async function postgresTarget(): Promise<Target> {
  // A database of its own: the CLI keeps its migration history in drizzle.*, which a
  // schema of its own would share with whatever else ran on this server before.
  const database = uniqueName('pgstore_cli');
  const admin = new pg.Client({ connectionString: databaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(databaseUrl());
  url.pathname = `/${database}`;
  const pool = new pg.Pool({ connectionString: url.href });
  // A client still closing when the database goes must not become an uncaught error.
  pool.on('error', () => {});
  const exec = async (text: string) => {
    const results = await pool.query(text);
    const last = Array.isArray(results) ? results.at(-1) : results;
    return last.rows as Array<Record<string, unknown>>;
  };
  return {
    args: [],
    env: { DATABASE_URL: url.href },
    exec,
    done: async () => {
      await pool.end();
      // Not WITH (FORCE): that would cut connections still closing. Without it PostgreSQL
      // waits a few seconds for them to go.
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
    },
  };
}

/** Both kinds of target, for `describe.each`. */
export const targets: Array<[string, () => Promise<Target>]> = [
  ['PGlite', pgliteTarget],
  ['PostgreSQL', postgresTarget],
];
