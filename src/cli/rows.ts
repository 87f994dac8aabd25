import type { SQL } from 'drizzle-orm';
import type { SessionDatabase } from '../database.js';

/**
 * The rows of a raw query, whichever driver ran it: node-postgres and PGlite give a result
 * with `rows`, postgres.js gives the rows themselves.
 */
export async function rowsOf<Row>(db: Pick<SessionDatabase, 'execute'>, query: SQL): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown as Row[] | { rows: Row[] };
  return Array.isArray(result) ? result : result.rows;
}
