import { oneLine } from '../error-text.js';
import { sessionStats } from '../store/stats.js';
import { databaseHelp, databaseOptions, databaseTarget, parseOptions, tableHelp, tableOption, tableOptions } from './args.js';
import { qualify, readJob, type CleanupJob } from './cron-job.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';

const statsHelp = `Usage: drizzle-pgstore stats [options]

Shows live sessions, expired rows awaiting cleanup, the table and index size, the
oldest and newest expiry, and the pg_cron cleanup job with its last runs, if there is one
('drizzle-pgstore schedule' installs it).

Options:
  --json               print one JSON object instead of a table

${tableHelp}

${databaseHelp}`;

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** The pg_cron job's lines: its schedule, then one line per run, newest first. */
function jobLines(job: CleanupJob | null): string[] {
  if (job === null) return ['cleanup job    - (none in pg_cron)'];
  const runs = job.runs.map((run) => {
    const seconds = run.startedAt && run.finishedAt ? ` in ${((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000).toFixed(2)} s` : '';
    return `${run.startedAt?.toISOString() ?? '-'} ${run.status}${seconds}${run.message ? `: ${oneLine(run.message)}` : ''}`;
  });
  return [
    `cleanup job    pg_cron job ${job.jobId}, '${job.schedule}'${job.active ? '' : ' (inactive)'}`,
    ...(runs.length === 0 ? ['last runs      - (none yet)'] : runs.map((run, i) => `${i === 0 ? 'last runs      ' : '               '}${run}`)),
  ];
}

export async function statsCommand(args: string[], out: (line: string) => void): Promise<void> {
  const values = parseOptions(args, { ...databaseOptions, ...tableOptions, json: { type: 'boolean' } });
  if (values.help) return out(statsHelp);
  const table = tableOption(values);
  const database = await openDatabase(databaseTarget(values));
  try {
    const stats = await explainMissingTable(values, database.db, () => sessionStats(database.db, table));
    const qualified = await qualify(database.db, table);
    const cleanupJob = qualified === undefined ? null : await readJob(database.db, qualified);
    if (values.json) return out(JSON.stringify({ ...stats, cleanupJob }));
    out(
      [
        `database       ${database.label}`,
        `live sessions  ${stats.live}`,
        `expired rows   ${stats.expired}`,
        `table size     ${mebibytes(stats.tableBytes)}`,
        `index size     ${mebibytes(stats.indexBytes)}`,
        `oldest expiry  ${stats.oldestExpiry?.toISOString() ?? '-'}`,
        `newest expiry  ${stats.newestExpiry?.toISOString() ?? '-'}`,
        ...jobLines(cleanupJob),
      ].join('\n'),
    );
  } finally {
    await database.close();
  }
}
