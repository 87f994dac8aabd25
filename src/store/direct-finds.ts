/**
 * The store's finds, run straight through node-postgres where that loses nothing: the SQL
 * text, statement name and parameters drizzle built, sent with `client.query`, without
 * drizzle's per-call layers (tracing spans, a cache lookup, row mapping, and a query config
 * carrying type parsers that node-postgres copies on every call). Finds are the calls a
 * session store makes most, and at one to four callers those layers cost about a tenth of
 * the process's CPU per find.
 *
 * Only for a node-postgres database made without a drizzle logger, whose user expects it to
 * see every statement. (A drizzle cache changes nothing: the store's selects never use one,
 * see `uncached`.) Every other database (postgres.js, PGlite, Neon, a transaction) runs them
 * through drizzle.
 */
import { entityKind, fillPlaceholders, is, NoopLogger, type Query } from 'drizzle-orm';
import type { SessionDatabase } from '../database.js';

/** A find ready to run: values by placeholder name in, rows out. */
export interface FindStatement<Row> {
  execute(values: Record<string, unknown>): Promise<Row[]>;
}

/** What node-postgres's Pool and Client both offer. */
interface NodePostgresClient {
  query(config: { name?: string | undefined; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** What the store reads of a drizzle node-postgres database, all of it optional. */
interface DatabaseInternals {
  $client?: Partial<NodePostgresClient>;
  session?: { logger?: unknown };
}

/**
 * Makes finds that run straight through node-postgres, or says (undefined) that this
 * database runs them through drizzle. Rows come back as node-postgres objects keyed by
 * column name (or alias), so a select's keys must be its column names or aliases.
 */
export function directFinds(db: SessionDatabase): (<Row>(query: { toSQL(): Query }, name: string | undefined) => FindStatement<Row>) | undefined {
  const internals = db as unknown as DatabaseInternals;
  const kind = (db.constructor as { [entityKind]?: string })[entityKind];
  const client = internals.$client;
  if (kind !== 'NodePgDatabase' || typeof client?.query !== 'function') return undefined;
  if (!is(internals.session?.logger, NoopLogger)) return undefined;
  const pg = client as NodePostgresClient;
  return <Row>(query: { toSQL(): Query }, name: string | undefined) => {
    const { sql: text, params } = query.toSQL();
    return {
      execute: (values) => pg.query({ name, text, values: fillPlaceholders(params, values) }).then((result) => result.rows as Row[]),
    };
  };
}
