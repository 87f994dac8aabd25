import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Backend } from './backends.js';

/** connect-pg-simple's own table, from the table.sql it ships, as its users create it. */
export async function createConnectPgSimpleTable(backend: Backend) {
  const require = createRequire(import.meta.url);
  const file = require.resolve('connect-pg-simple/table.sql');
  for (const statement of (await readFile(file, 'utf8')).split(';').map((part) => part.trim())) {
    if (statement) await backend.query(statement);
  }
}
