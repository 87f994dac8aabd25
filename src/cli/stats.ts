import { sessionStats } from '../stats.js';
import { databaseHelp, databaseOptions, databaseTarget, parseOptions, tableHelp, tableOption, tableOptions } from './args.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';

const statsHelp = `Usage: drizzle-pgstore stats [options]

Shows live sessions, expired rows awaiting cleanup, the table and index size, and the
oldest and newest expiry.

Options:
  --json               print one JSON object instead of a table

${tableHelp}

${databaseHelp}`;

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

export async function statsCommand(args: string[], out: (line: string) => void): Promise<void> {
  const values = parseOptions(args, { ...databaseOptions, ...tableOptions, json: { type: 'boolean' } });
  if (values.help) return out(statsHelp);
  const table = tableOption(values);
  const database = await openDatabase(databaseTarget(values));
  try {
    const stats = await explainMissingTable(values, database.db, () => sessionStats(database.db, table));
    if (values.json) return out(JSON.stringify(stats));
    out(
      [
        `database       ${database.label}`,
        `live sessions  ${stats.live}`,
        `expired rows   ${stats.expired}`,
        `table size     ${mebibytes(stats.tableBytes)}`,
        `index size     ${mebibytes(stats.indexBytes)}`,
        `oldest expiry  ${stats.oldestExpiry?.toISOString() ?? '-'}`,
        `newest expiry  ${stats.newestExpiry?.toISOString() ?? '-'}`,
      ].join('\n'),
    );
  } finally {
    await database.close();
  }
}
