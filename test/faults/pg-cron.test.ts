import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databaseUrl } from '../support/backends.js';
import { oneLine, runCli } from '../support/cli.js';
import { startCluster, type Cluster } from './support/cluster.js';

/**
 * `drizzle-pgstore schedule` on a server with pg_cron loaded (Debian's
 * postgresql-15-cron), which the test owns: the job pg_cron runs is the store's cleanup.
 */
let cluster: Cluster;
let pool: pg.Pool;
const url = () => cluster.url;
const cli = (...args: string[]) => runCli(args, { DATABASE_URL: url() });
const exec = async <Row = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  (await pool.query(text, params)).rows as Row[];

/** The jobs pg_cron holds, by name. */
const jobs = () => exec<{ jobid: string; jobname: string; schedule: string; command: string }>('SELECT * FROM cron.job ORDER BY jobid');

async function fill(table: string, expired: number, live: number) {
  await exec(`TRUNCATE ${table}`);
  await exec(`INSERT INTO ${table} SELECT 'dead' || i, '\\x00', now() - interval '1 hour' FROM generate_series(1, $1) i`, [expired]);
  await exec(`INSERT INTO ${table} SELECT 'live' || i, '\\x00', now() + interval '1 hour' FROM generate_series(1, $1) i`, [live]);
}
const counts = async (table: string) =>
  (await exec(`SELECT count(*) FILTER (WHERE expiry > now())::int AS live, count(*) FILTER (WHERE expiry <= now())::int AS expired FROM ${table}`))[0];

beforeAll(async () => {
  cluster = await startCluster({ shared_preload_libraries: 'pg_cron', 'cron.database_name': 'postgres' });
  pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  pool.on('error', () => {});
  expect((await cli('migrate')).code).toBe(0);
  await exec('CREATE DATABASE other');
  await exec('CREATE SCHEMA app');
  await exec('CREATE TABLE app."Sessions" (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)');
});
afterAll(async () => {
  await pool?.end();
  await cluster?.destroy();
});

describe('drizzle-pgstore schedule', () => {
  it('on a server without pg_cron loaded, says what to install and set', async () => {
    const result = await runCli(['schedule'], { DATABASE_URL: databaseUrl() });
    expect(result.code).toBe(1);
    const line = oneLine(result);
    // Not installed at all: the package to install; installed: that it is not loaded.
    expect(line).toMatch(/pg_cron is (not installed on this server: install it \(Debian and Ubuntu: apt-get install postgresql-15-cron|installed but not loaded)/);
    expect(line).toContain('add pg_cron to shared_preload_libraries');
    expect(line).toContain('CREATE EXTENSION pg_cron');
  });

  it('with pg_cron loaded but not created, or kept in another database, says what to run', async () => {
    const notCreated = await cli('schedule');
    expect(oneLine(notCreated)).toBe(
      'drizzle-pgstore: pg_cron is loaded but not created in database postgres: run CREATE EXTENSION pg_cron there (as a superuser)',
    );
    const other = await runCli(['schedule', '--database-url', cluster.url.replace(/postgres$/, 'other')]);
    expect(oneLine(other)).toContain('pg_cron keeps its jobs in database postgres (cron.database_name), not in other');
    expect(await exec(`SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'`)).toEqual([]);
  });

  it('installs one job for the table; scheduling again replaces it', async () => {
    await exec('CREATE EXTENSION pg_cron');
    const first = await cli('schedule');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^scheduled job \d+ 'drizzle-pgstore cleanup public\.sessions' every 5 minutes \(\*\/5 \* \* \* \*\) in postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres; run the apps with cleanupInterval: 0\n$/);
    const again = await cli('schedule', '--every', '1');
    expect(again.stdout).toContain('every minute (* * * * *)');
    const [job, ...more] = await jobs();
    expect(more).toEqual([]);
    expect(job).toMatchObject({ jobname: 'drizzle-pgstore cleanup public.sessions', schedule: '* * * * *' });
    expect(job!.command).toContain('for update skip locked');
  });

  it('pg_cron runs it: expired rows go, live ones stay, and stats shows the job and its last run', async () => {
    await fill('sessions', 12_000, 40);
    const filledAt = Date.now();
    // pg_cron starts jobs on the minute.
    await vi.waitFor(
      async () => {
        const [run] = await exec<{ status: string }>(
          `SELECT status FROM cron.job_run_details WHERE end_time IS NOT NULL AND start_time > to_timestamp($1 / 1000.0)`,
          [filledAt],
        );
        expect(run?.status).toBe('succeeded');
      },
      { timeout: 75_000, interval: 500 },
    );
    expect(await counts('sessions')).toEqual({ live: 40, expired: 0 });

    const json = JSON.parse((await cli('stats', '--json')).stdout);
    expect(json).toMatchObject({ live: 40, expired: 0, cleanupJob: { schedule: '* * * * *', active: true } });
    expect(json.cleanupJob.runs[0]).toMatchObject({ status: 'succeeded' });
    const text = await cli('stats');
    expect(text.stdout).toMatch(/\ncleanup job +pg_cron job \d+, '\* \* \* \* \*'\nlast runs +\d{4}-\d\d-\d\dT[\d:.]+Z succeeded in [\d.]+ s/);
  }, 90_000);

  it('runs the same cleanup on a --table/--schema table, without row locks with --no-skip-locked, and --remove removes it', async () => {
    const table = ['--schema', 'app', '--table', 'Sessions'];
    const result = await cli('schedule', ...table, '--no-skip-locked', '--cron', '17 3 * * *', '--batch-size', '1000');
    expect(result.stdout).toContain(`'drizzle-pgstore cleanup app."Sessions"' on '17 3 * * *' (17 3 * * *)`);
    const job = (await jobs()).find((row) => row.jobname.endsWith('"Sessions"'))!;
    expect(job.command).not.toContain('skip locked');
    // The job's command, run as pg_cron runs it: batches of 1000 until none is left.
    await fill('app."Sessions"', 2500, 7);
    await exec(job.command);
    expect(await counts('app."Sessions"')).toEqual({ live: 7, expired: 0 });

    expect((await cli('schedule', ...table, '--remove')).stdout).toMatch(/^removed the job 'drizzle-pgstore cleanup app\."Sessions"' from /);
    expect((await cli('schedule', ...table, '--remove')).stdout).toMatch(/nothing to remove\n$/);
    expect((await jobs()).map((row) => row.jobname)).toEqual(['drizzle-pgstore cleanup public.sessions']);
    expect((await cli('stats', ...table, '--json')).stdout).toContain('"cleanupJob":null');
  });

  it('refuses a missing table with the usual hint, and never prints a password', async () => {
    const missing = await cli('schedule', '--table', 'nope');
    expect(oneLine(missing)).toMatch(/relation "nope" does not exist \(drizzle-pgstore migrate makes only the default table/);
    const withPassword = cluster.url.replace('postgres@', 'postgres:hunter2secret@');
    const result = await runCli(['schedule', '--every', '1', '--database-url', withPassword]);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain('hunter2secret');
  });
});
