import pg from 'pg';
import { databaseUrl, openNodePostgres, type Backend } from './backends.js';

/**
 * A schema on the PostgreSQL server, and the one connection an app under test writes
 * through, with the row writes (inserted + updated + deleted tuples, as PostgreSQL's
 * statistics count them) each table has had.
 */
export interface WriteCounter {
  readonly backend: Backend;
  /** The app's pool: one connection, so its statistics can be flushed on the very backend that made them. */
  readonly appPool: pg.Pool;
  /** Writes to a table of the schema so far. */
  writesTo(table: string): Promise<number>;
  close(): Promise<void>;
}

export async function openWriteCounter(): Promise<WriteCounter> {
  const backend = await openNodePostgres();
  const appPool = new pg.Pool({ connectionString: databaseUrl(), max: 1, options: `-c search_path=${backend.schema}` });
  return {
    backend,
    appPool,
    async writesTo(table) {
      // The flush happens as the app's backend goes idle, before it answers: by the time
      // this resolves, the figures are in shared memory.
      await appPool.query('SELECT pg_stat_force_next_flush()');
      await backend.query('SELECT pg_stat_clear_snapshot()');
      const [row] = await backend.query<{ writes: string }>(
        `SELECT n_tup_ins + n_tup_upd + n_tup_del AS writes FROM pg_stat_user_tables WHERE relid = $1::regclass`,
        [`${backend.schema}.${table}`],
      );
      return Number(row?.writes);
    },
    async close() {
      await appPool.end();
      await backend.close();
    },
  };
}
