import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, uniqueName } from './support/backends.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with DATABASE_URL unset unless given. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('DATABASE_URL' in env)) delete childEnv.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A raw SQL runner on the target, and how the CLI names it. */
interface Target {
  args: string[];
  env?: Record<string, string>;
  exec(text: string): Promise<Array<Record<string, unknown>>>;
  done(): Promise<void>;
}

const FILL = (expired: number, live: number) => `
  INSERT INTO sessions (token, data, expiry)
  SELECT 'dead' || i, convert_to('x', 'UTF8'), current_timestamp - interval '1 hour' FROM generate_series(1, ${expired}) i;
  INSERT INTO sessions (token, data, expiry)
  SELECT 'live' || i, convert_to('x', 'UTF8'), current_timestamp + interval '1 hour' FROM generate_series(1, ${live}) i;`;

async function pgliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'pgstore-cli-'));
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
  return { args: ['--pglite', dir], exec, done: () => rm(dir, { recursive: true, force: true }) };
}

async function postgresTarget(): Promise<Target> {
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

describe.each([
  ['PGlite', pgliteTarget],
  ['PostgreSQL', postgresTarget],
])('the CLI on %s', (_name, open) => {
  let target: Target;
  const run = (...args: string[]) => runCli([...args, ...target.args], target.env);
  beforeAll(async () => {
    target = await open();
  });
  afterAll(() => target?.done());

  it('migrate creates the table, and is safe to run again', async () => {
    const first = await run('migrate');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/migrated .*: the sessions table is ready/);
    expect((await run('migrate')).code).toBe(0);
    const [row] = await target.exec(`SELECT to_regclass('sessions_expiry_idx') IS NOT NULL AS ok`);
    expect(row?.ok).toBe(true);
  });

  it('stats reports live and expired rows, sizes and expiry range, as text and --json', async () => {
    await target.exec(`TRUNCATE sessions; ${FILL(30, 12)}`);
    const json = await run('stats', '--json');
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats).toMatchObject({ live: 12, expired: 30 });
    expect(stats.tableBytes).toBeGreaterThan(0);
    expect(stats.indexBytes).toBeGreaterThan(0);
    expect(Date.parse(stats.oldestExpiry)).toBeLessThan(Date.parse(stats.newestExpiry));
    const text = await run('stats');
    expect(text.stdout).toMatch(/live sessions +12\n/);
    expect(text.stdout).toMatch(/expired rows +30\n/);
  });

  it('cleanup removes 100,000 expired rows and leaves the live ones, showing progress', async () => {
    await target.exec(`TRUNCATE sessions; ${FILL(100_000, 1000)}`);
    const result = await run('cleanup', '--progress-every', '0');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deleted 100000 expired rows in [\d.]+ s \(\d+ rows\/s\)\n$/);
    expect(result.stderr).toMatch(/^deleted 5000 rows so far \(\d+ rows\/s\)\n/);
    expect(result.stderr.trim().split('\n').length).toBeGreaterThanOrEqual(19);
    const [row] = await target.exec(
      `SELECT count(*) FILTER (WHERE expiry > now())::int AS live, count(*)::int AS total FROM sessions`,
    );
    expect(row).toEqual({ live: 1000, total: 1000 });
  });

  it('--help works on each command', async () => {
    for (const command of ['migrate', 'cleanup', 'stats']) {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: drizzle-pgstore ${command}`);
      expect(result.stdout).toContain('--database-url URL');
    }
  });

  it('names a missing table in one line and suggests migrate', async () => {
    const result = await run('stats', '--table', 'no_such_sessions');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `drizzle-pgstore: relation "no_such_sessions" does not exist (run 'drizzle-pgstore migrate' first)\n`,
    );
  });
});

describe('migrate on PostgreSQL', () => {
  it('says so, exit status 1, when the history says done but no table is on the search_path', async () => {
    const target = await postgresTarget();
    try {
      expect((await runCli(['migrate'], target.env)).code).toBe(0);
      const elsewhere = new URL(target.env!.DATABASE_URL!);
      await target.exec('CREATE SCHEMA elsewhere');
      elsewhere.searchParams.set('options', '-c search_path=elsewhere');
      const result = await runCli(['migrate'], { DATABASE_URL: elsewhere.href });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^drizzle-pgstore: the shipped migration is recorded in drizzle\.__drizzle_pgstore_migrations, but no sessions table can be read on this connection's search_path/);
    } finally {
      await target.done();
    }
  });
});

describe('CLI errors', () => {
  const oneLine = (result: CliResult) => {
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return result.stderr.trim();
  };

  it('refuses bad arguments with exit status 2', async () => {
    const pglite = ['--pglite', join(tmpdir(), 'never-created')];
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['stats'], /no database: pass --database-url URL or --pglite DIR, or set DATABASE_URL/],
      [['stats', '--bogus', ...pglite], /Unknown option '--bogus'/],
      [['stats', '--database-url', 'mysql://x', ], /not a PostgreSQL URL/],
      [['stats', '--database-url', 'postgres://x', ...pglite], /not both/],
      [['cleanup', '--batch-size', '0', ...pglite], /--batch-size must be an integer of at least 1, got '0'/],
      [['cleanup', '--batch-size', 'lots', ...pglite], /--batch-size must be an integer of at least 1/],
      [['stats', '--table', '', ...pglite], /table name must not be empty/],
      [['stats', ...pglite], /--pglite .*never-created: no such folder \('drizzle-pgstore migrate --pglite/],
      [['migrate', '--pglite', ''], /--pglite needs a folder/],
      [['stats', '--pglite', fileURLToPath(import.meta.url)], /cli\.test\.ts: not a folder/],
      [['migrate', '--table', 'other', ...pglite], /Unknown option '--table'/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneLine(result), args.join(' ')).toMatch(message);
    }
  });

  it('reports an unreachable database in one line with exit status 1', async () => {
    const result = await runCli(['cleanup', '--database-url', 'postgres://postgres@127.0.0.1:1/test']);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(/^drizzle-pgstore: cannot reach postgres:\/\/postgres@127\.0\.0\.1:1\/test: .*ECONNREFUSED/);
  });

  it('never prints a password', async () => {
    const result = await runCli(['stats', '--database-url', 'postgres://me:secret@127.0.0.1:1/test']);
    expect(result.code).toBe(1);
    expect(oneLine(result)).not.toContain('secret');
  });
});
