import { PGStore } from '../store/pg-store.js';
import { databaseHelp, databaseOptions, databaseTarget, integerOption, parseOptions, tableHelp, tableOption, tableOptions } from './args.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';

// One DELETE of a million rows already holds its locks for seconds; more gains nothing.
const MAX_BATCH_SIZE = 1_000_000;
const DAY_MS = 86_400_000;

const cleanupHelp = `Usage: drizzle-pgstore cleanup [options]

Deletes expired sessions once, in batches, and exits: for cron or a Kubernetes CronJob.
Safe beside running apps and other cleaners (each batch skips rows another holds).
Shows progress on long runs; Ctrl-C stops after the batch in flight.

Options:
  --batch-size N       rows per DELETE, 1 to ${MAX_BATCH_SIZE} (default: 5000)
  --progress-every MS  how often to show progress, 0 (every batch) to ${DAY_MS} (default: 1000)
  --quiet              print only the summary
  --no-skip-locked     pick rows without FOR UPDATE SKIP LOCKED (for Citus; see docs/scaling.md)

${tableHelp}

${databaseHelp}`;

const rate = (rows: number, ms: number) => Math.round(rows / Math.max(ms / 1000, 0.001));

export async function cleanupCommand(
  args: string[],
  out: (line: string) => void,
  progress: (line: string) => void,
): Promise<void> {
  const values = parseOptions(args, {
    ...databaseOptions,
    ...tableOptions,
    'batch-size': { type: 'string' },
    'progress-every': { type: 'string' },
    quiet: { type: 'boolean' },
    'no-skip-locked': { type: 'boolean' },
  });
  if (values.help) return out(cleanupHelp);
  const table = tableOption(values);
  const cleanupBatchSize = integerOption('batch-size', values['batch-size'], 5000, { min: 1, max: MAX_BATCH_SIZE });
  const progressEvery = integerOption('progress-every', values['progress-every'], 1000, { min: 0, max: DAY_MS, unit: 'milliseconds' });
  const database = await openDatabase(databaseTarget(values));
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort();
  process.once('SIGINT', onSigint);
  const started = performance.now();
  let lastReport = started;
  try {
    const store = new PGStore(database.db, { table, cleanupInterval: 0, cleanupBatchSize, cleanupSkipLocked: !values['no-skip-locked'] });
    const deleted = await explainMissingTable(values, database.db, () => store.deleteExpired({
      signal: interrupted.signal,
      onProgress: (sofar) => {
        const now = performance.now();
        if (values.quiet || now - lastReport < progressEvery) return;
        lastReport = now;
        progress(`deleted ${sofar} rows so far (${rate(sofar, now - started)} rows/s)`);
      },
    }));
    const elapsed = performance.now() - started;
    const how = interrupted.signal.aborted ? 'interrupted after deleting' : 'deleted';
    out(`${how} ${deleted} expired rows in ${(elapsed / 1000).toFixed(1)} s (${rate(deleted, elapsed)} rows/s)`);
    if (interrupted.signal.aborted) process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
    await database.close();
  }
}
