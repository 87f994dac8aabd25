import { getTableConfig } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import type { SessionDatabase } from '../database.js';
import type { SessionsTable } from '../schema.js';
import { databaseHelp, databaseOptions, databaseTarget, parseOptions, tableHelp, tableOption, tableOptions } from './args.js';
import { quoteIdentifier } from './cron-job.js';
import { openDatabase } from './database.js';
import { explainMissingTable } from './missing-table.js';
import { rowsOf } from './rows.js';

/**
 * What the token column's comment says once its keys are hashes. A raw SCS token and its
 * hash look alike (43 base64url characters), so the table itself has to say which it holds.
 */
export const HASHED_MARK = 'drizzle-pgstore: SHA-256 of each token, base64url (hashTokens)';

const hashTokensHelp = `Usage: drizzle-pgstore hash-tokens [options]

Replaces each token in the sessions table by its SHA-256 (base64url, as hashToken() and
SCS's HashTokenInStore give it), in one transaction, so that a table written with
hashTokens: false (the default of earlier versions) keeps its sessions under hashTokens: true.
It marks the table when done, and a second run does nothing. Run it as you run a
migration, before the upgraded app serves: the old app does not find hashed rows.
Writes wait for it; reads go on.

${tableHelp}

${databaseHelp}`;

/** The table's name as SQL text, for ::regclass. */
const regclassName = (table: SessionsTable) => {
  const { name, schema } = getTableConfig(table);
  return schema === undefined ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
};

/** Hashes the keys of a table not yet marked; resolves to the rows hashed, or null when it was done before. */
export async function hashStoredTokens(db: SessionDatabase, table: SessionsTable): Promise<number | null> {
  return db.transaction(async (tx) => {
    const target = sql.raw(regclassName(table));
    // Writers wait (a row written meanwhile could be raw or hashed); readers do not.
    await tx.execute(sql`LOCK TABLE ${target} IN SHARE ROW EXCLUSIVE MODE`);
    const [mark] = await rowsOf<{ comment: string | null }>(
      tx,
      sql`SELECT col_description(${regclassName(table)}::regclass, attnum) AS comment FROM pg_attribute
          WHERE attrelid = ${regclassName(table)}::regclass AND attname = ${table.token.name}`,
    );
    if (mark?.comment === HASHED_MARK) return null;
    const token = sql.identifier(table.token.name);
    const hashed = await rowsOf<{ n: number | string }>(
      tx,
      sql`WITH hashed AS (
            UPDATE ${target} SET ${token} = rtrim(translate(encode(sha256(convert_to(${token}, 'UTF8')), 'base64'), '+/', '-_'), '=')
            RETURNING 1
          ) SELECT count(*) AS n FROM hashed`,
    );
    await tx.execute(sql`COMMENT ON COLUMN ${target}.${token} IS ${sql.raw(`'${HASHED_MARK}'`)}`);
    return Number(hashed[0]?.n ?? 0);
  });
}

export async function hashTokensCommand(args: string[], out: (line: string) => void): Promise<void> {
  const values = parseOptions(args, { ...databaseOptions, ...tableOptions });
  if (values.help) return out(hashTokensHelp);
  const table = tableOption(values);
  const database = await openDatabase(databaseTarget(values));
  try {
    const hashed = await explainMissingTable(values, database.db, () => hashStoredTokens(database.db, table));
    out(hashed === null ? 'the tokens were hashed before; nothing to do' : `hashed the tokens of ${hashed} rows`);
  } finally {
    await database.close();
  }
}
