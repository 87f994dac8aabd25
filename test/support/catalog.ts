import type { Backend } from './backends.js';

export interface TableShape {
  columns: Array<{ name: string; type: string; notnull: boolean }>;
  primaryKey: string;
  indexes: string[];
}

/** What the live catalog says of `<schema>.sessions`, with the schema name left out. */
export async function describeSessionsTable(
  query: Backend['query'],
  schema: string,
  table = 'sessions',
): Promise<TableShape | null> {
  const [row] = await query<{ shape: TableShape | string }>(
    `SELECT json_build_object(
       'columns', (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                     'notnull', a.attnotnull) ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       'primaryKey', (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),
       'indexes', (SELECT json_agg(regexp_replace(pg_get_indexdef(i.indexrelid), ' ON \\S+ ', ' ON <table> ')
                                   ORDER BY pg_get_indexdef(i.indexrelid))
                   FROM pg_index i WHERE i.indrelid = c.oid)
     ) AS shape
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  if (!row) return null;
  return typeof row.shape === 'string' ? (JSON.parse(row.shape) as TableShape) : row.shape;
}
