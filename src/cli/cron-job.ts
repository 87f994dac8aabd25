/**
 * The cleanup as a pg_cron job: one schedule inside PostgreSQL instead of a timer in each
 * app instance. The job runs the store's own cleanup batch (deleteExpiredBatchQuery), in a
 * loop that commits after each batch, so it holds no lock longer than one batch.
 */
import { sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { defineSessionsTable, type SessionsTable } from '../schema.js';
import { rowsOf } from './rows.js';
import type { SessionDatabase } from '../database.js';
import { deleteExpiredBatchQuery } from '../store/statements.js';

/** pg_cron is missing or unusable here; the message says what to install or set. */
export class CronUnavailableError extends Error {
  override readonly name = 'CronUnavailableError';
}

/** A table with the PostgreSQL schema it lives in, named. */
export interface QualifiedTable {
  schema: string;
  name: string;
}

/** One run of a job, from `cron.job_run_details`. */
export interface CronRun {
  status: string;
  message: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The cleanup job of a table, as `stats` shows it. */
export interface CleanupJob {
  jobId: number;
  schedule: string;
  active: boolean;
  /** The latest runs, newest first. */
  runs: CronRun[];
}

const RUNS_SHOWN = 5;


/** An identifier as PostgreSQL would need it written: bare when it can be, quoted otherwise. */
export function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The name of the job for a table; one job per table and user, so scheduling again replaces it. */
export const jobName = (table: QualifiedTable) =>
  `drizzle-pgstore cleanup ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;

/**
 * The schema of `table`: the one it names, else the one its name resolves to on the
 * search_path now, so the job (which runs with its own search_path) cleans this very table.
 * `undefined` when there is no such table.
 */
export async function qualify(db: SessionDatabase, table: SessionsTable): Promise<QualifiedTable | undefined> {
  const { name, schema } = getTableConfig(table);
  const target = schema === undefined ? sql`quote_ident(${name})` : sql`quote_ident(${schema}) || '.' || quote_ident(${name})`;
  const [row] = await rowsOf<{ schema: string }>(
    db,
    sql`SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(${target})`,
  );
  return row && { schema: row.schema, name };
}

/** A dollar-quote tag that `text` does not contain. */
function dollarTag(text: string): string {
  let tag = '$drizzle_pgstore$';
  for (let i = 1; text.includes(tag); i++) tag = `$drizzle_pgstore_${i}$`;
  return tag;
}

/**
 * The SQL the job runs: the store's cleanup batch, again and again, committing after each,
 * until a batch comes back short. A DO block may COMMIT when run on its own, as pg_cron
 * runs a job's command.
 */
export function cleanupCommand(db: SessionDatabase, table: QualifiedTable, batchSize: number, skipLocked: boolean): string {
  // The batch names the table without its schema (Drizzle will not name `public`), so each
  // transaction of the job looks in that schema alone.
  const { sql: batch } = deleteExpiredBatchQuery(db, defineSessionsTable(table.name), skipLocked).toSQL();
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const body = [
    'DECLARE deleted bigint;',
    'BEGIN',
    '  LOOP',
    `    PERFORM set_config('search_path', ${literal(`"${table.schema.replaceAll('"', '""')}"`)}, true);`,
    `    EXECUTE ${literal(batch)} INTO deleted USING ${batchSize};`,
    '    COMMIT;',
    `    EXIT WHEN deleted < ${batchSize};`,
    '  END LOOP;',
    'END',
  ].join('\n');
  const tag = dollarTag(body);
  return `DO ${tag}\n${body}\n${tag}`;
}

/**
 * Checks that pg_cron is loaded and installed in this database, or says what to install
 * or set for it, in the words of this server's version.
 */
export async function checkCron(db: SessionDatabase): Promise<void> {
  const [state] = await rowsOf<{ installed: boolean; available: boolean; cron_database: string | null; database: string; major: number }>(
    db,
    sql`SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') AS installed,
               EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_cron') AS available,
               current_setting('cron.database_name', true) AS cron_database,
               current_database() AS database,
               current_setting('server_version_num')::int / 10000 AS major`,
  );
  const { installed, available, cron_database: cronDatabase, database, major } = state!;
  if (installed) return;
  const load = `add pg_cron to shared_preload_libraries, set cron.database_name = '${database}' and restart PostgreSQL, then run CREATE EXTENSION pg_cron in database ${database}`;
  if (!available) {
    throw new CronUnavailableError(
      `pg_cron is not installed on this server: install it (Debian and Ubuntu: apt-get install postgresql-${major}-cron; ` +
        `others: https://github.com/citusdata/pg_cron), ${load}`,
    );
  }
  // pg_cron defines cron.database_name only once it is loaded at server start.
  if (cronDatabase === null) throw new CronUnavailableError(`pg_cron is installed but not loaded: ${load}`);
  if (cronDatabase !== database) {
    throw new CronUnavailableError(
      `pg_cron keeps its jobs in database ${cronDatabase} (cron.database_name), not in ${database}: ` +
        `set cron.database_name = '${database}' and restart PostgreSQL, then run CREATE EXTENSION pg_cron in database ${database}`,
    );
  }
  throw new CronUnavailableError(`pg_cron is loaded but not created in database ${database}: run CREATE EXTENSION pg_cron there (as a superuser)`);
}

/** Installs the job, or replaces the one of the same name; returns its id. */
export async function scheduleJob(db: SessionDatabase, table: QualifiedTable, schedule: string, command: string): Promise<number> {
  const [row] = await rowsOf<{ id: string }>(db, sql`SELECT cron.schedule(${jobName(table)}, ${schedule}, ${command}) AS id`);
  return Number(row!.id);
}

/** Removes the job of `table`; says whether there was one. */
export async function unscheduleJob(db: SessionDatabase, table: QualifiedTable): Promise<boolean> {
  const removed = await rowsOf<{ ok: boolean }>(
    db,
    sql`SELECT cron.unschedule(jobid) AS ok FROM cron.job WHERE jobname = ${jobName(table)} AND username = current_user`,
  );
  return removed.length > 0;
}

/** The cleanup job of `table` and its latest runs, or `null` when there is none (or no pg_cron to ask). */
export async function readJob(db: SessionDatabase, table: QualifiedTable): Promise<CleanupJob | null> {
  const [readable] = await rowsOf<{ ok: boolean }>(
    db,
    // CASE, so that the privilege is asked of a schema that exists.
    sql`SELECT CASE WHEN to_regclass('cron.job') IS NULL THEN false ELSE has_schema_privilege('cron', 'USAGE') END AS ok`,
  );
  if (!readable?.ok) return null;
  const [job] = await rowsOf<{ jobid: string; schedule: string; active: boolean }>(
    db,
    sql`SELECT jobid, schedule, active FROM cron.job WHERE jobname = ${jobName(table)} AND username = current_user`,
  );
  if (!job) return null;
  const runs = await rowsOf<{ status: string; message: string | null; started_ms: number | null; finished_ms: number | null }>(
    db,
    sql`SELECT status, return_message AS message,
               floor(extract(epoch from start_time) * 1000)::float8 AS started_ms,
               floor(extract(epoch from end_time) * 1000)::float8 AS finished_ms
          FROM cron.job_run_details WHERE jobid = ${job.jobid} ORDER BY runid DESC LIMIT ${RUNS_SHOWN}`,
  );
  const date = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));
  return {
    jobId: Number(job.jobid),
    schedule: job.schedule,
    active: job.active,
    runs: runs.map((run) => ({ status: run.status, message: run.message, startedAt: date(run.started_ms), finishedAt: date(run.finished_ms) })),
  };
}
