import { sql } from 'drizzle-orm';
import { databaseHelp, databaseOptions, databaseTarget, integerOption, parseOptions, tableHelp, tableOption, tableOptions, UsageError } from './args.js';
import { checkCron, cleanupCommand, jobName, qualify, scheduleJob, unscheduleJob } from './cron-job.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';

const MAX_BATCH_SIZE = 1_000_000;
/** Minutes that `*\/N` repeats evenly every hour. */
const EVEN_MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60];

const scheduleHelp = `Usage: drizzle-pgstore schedule [options]

Installs a pg_cron job that deletes expired sessions inside PostgreSQL, in batches that
skip rows another cleaner holds, as the store's own cleanup does. One schedule in the
database then serves every app instance: run the apps with cleanupInterval: 0.
Scheduling again replaces the job; 'drizzle-pgstore stats' shows it and its last runs.
Needs pg_cron loaded (shared_preload_libraries) and created in this database.

Options:
  --every N            run every N minutes: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 (default: 5)
  --cron EXPR          run on this cron schedule instead, e.g. '17 3 * * *'
  --batch-size N       rows per DELETE, 1 to ${MAX_BATCH_SIZE} (default: 5000)
  --no-skip-locked     pick rows without FOR UPDATE SKIP LOCKED (for Citus; see docs/scaling.md)
  --remove             remove the job instead

${tableHelp}

${databaseHelp}`;

/** The cron schedule that --every or --cron ask for. */
function cronSchedule(values: { every?: string; cron?: string }): { schedule: string; said: string } {
  if (values.cron !== undefined) {
    if (values.every !== undefined) throw new UsageError('give --every or --cron, not both');
    if (values.cron.trim() === '') throw new UsageError('--cron needs a schedule, e.g. --cron "*/5 * * * *"');
    return { schedule: values.cron, said: `on '${values.cron}'` };
  }
  const every = integerOption('every', values.every, 5, { min: 1, max: 60, unit: 'minutes' });
  if (!EVEN_MINUTES.includes(every)) {
    throw new UsageError(`--every must divide the hour (${EVEN_MINUTES.join(', ')}), got '${values.every}'; for other times give --cron`);
  }
  const schedule = every === 60 ? '0 * * * *' : every === 1 ? '* * * * *' : `*/${every} * * * *`;
  return { schedule, said: every === 1 ? 'every minute' : `every ${every} minutes` };
}

export async function scheduleCommand(args: string[], out: (line: string) => void): Promise<void> {
  const values = parseOptions(args, {
    ...databaseOptions,
    ...tableOptions,
    every: { type: 'string' },
    cron: { type: 'string' },
    'batch-size': { type: 'string' },
    'no-skip-locked': { type: 'boolean' },
    remove: { type: 'boolean' },
  });
  if (values.help) return out(scheduleHelp);
  if (values.pglite !== undefined) {
    throw new UsageError("pg_cron runs in a PostgreSQL server, not in PGlite: keep the store's own cleanup (cleanupInterval) instead");
  }
  const settings = ['every', 'cron', 'batch-size', 'no-skip-locked'] as const;
  if (values.remove && settings.some((name) => values[name] !== undefined)) {
    throw new UsageError(`--remove takes none of ${settings.map((name) => `--${name}`).join(', ')}`);
  }
  const { schedule, said } = cronSchedule(values);
  const batchSize = integerOption('batch-size', values['batch-size'], 5000, { min: 1, max: MAX_BATCH_SIZE });
  const table = tableOption(values);
  const database = await openDatabase(databaseTarget(values));
  try {
    const { db } = database;
    await checkCron(db);
    // Reading no row of it says whether the table is there, with the usual hint when not.
    await explainMissingTable(values, db, () => db.select({ one: sql`1` }).from(table).limit(0));
    const qualified = (await qualify(db, table))!;
    const name = jobName(qualified);
    if (values.remove) {
      const removed = await unscheduleJob(db, qualified);
      return out(removed ? `removed the job '${name}' from ${database.label}` : `no job '${name}' in ${database.label}: nothing to remove`);
    }
    const id = await scheduleJob(db, qualified, schedule, cleanupCommand(db, qualified, batchSize, !values['no-skip-locked']));
    out(`scheduled job ${id} '${name}' ${said} (${schedule}) in ${database.label}; run the apps with cleanupInterval: 0`);
  } finally {
    await database.close();
  }
}
