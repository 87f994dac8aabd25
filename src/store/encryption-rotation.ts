/**
 * Key rotation: moving every live row that the current key did not seal onto it, in
 * batches, beside live traffic. Each batch is one read and one compare-and-swap UPDATE: a
 * row is rewritten only if it still holds the bytes the batch read, so a session written
 * meanwhile (already under the current key, as every write is) keeps what was written.
 * While encryption is being turned on (`readUnencrypted`), the rows an unencrypted store
 * wrote are sealed the same way, and with the same check.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import type { SessionDatabase } from '../database.js';
import type { SessionsTable } from '../schema.js';
import { isSealed, type SessionCipher } from './encryption.js';
import { unexpired } from './expiry-sql.js';
import { saveManyParams, uncached } from './statements.js';

/** Options of {@link PGStore.reencrypt}. */
export interface ReencryptOptions {
  /** Rows read and rewritten per batch. Default 500. */
  batchSize?: number;
  /** Stops after the batch in flight; the promise then resolves with what was done so far. */
  signal?: AbortSignal;
  /** Called after each batch with the counts so far. */
  onProgress?: (progress: ReencryptProgress) => void;
}

/** What a {@link PGStore.reencrypt} run did, so far or in all. */
export interface ReencryptProgress {
  /** Live rows now sealed with the current key (those of `encrypted` included). */
  moved: number;
  /**
   * Of `moved`, the rows that held unencrypted data: sealed for the first time. Only a
   * store made with `readUnencrypted` seals them; otherwise they count as `unreadable`.
   */
  encrypted: number;
  /** Rows written (or deleted) by the app between the read and the rewrite: left as the app left them. */
  changedMeanwhile: number;
  /** Rows no key opens (see UnreadableSessionDataError): left alone. */
  unreadable: number;
}

/** Runs one query so that its failure leaves no secret of the batch in the error. */
export type BatchQuery = <T>(run: () => Promise<T>, batch: { keys: string[]; data: Uint8Array[] }) => Promise<T>;

/** The rows a batch reads: live, after the last key seen, and not sealed with the current key. */
function unmovedRows(db: SessionDatabase, table: SessionsTable, header: Uint8Array, after: string, limit: number) {
  const hex = Buffer.from(header).toString('hex');
  return uncached(
    db
      .select({ key: table.token, data: table.data })
      .from(table)
      .where(
        and(
          gt(table.token, after),
          unexpired(table.expiry),
          sql`substring(${table.data} from 1 for ${header.byteLength}) <> decode(${hex}, 'hex')`,
        ),
      )
      .orderBy(table.token)
      .limit(limit),
  );
}

/** Rewrites each row whose data is still what was read; returns the keys rewritten. */
function rewrite(db: SessionDatabase, table: SessionsTable, keys: string[], read: Uint8Array[], sealed: Uint8Array[]) {
  const { tokens, data: before } = saveManyParams(keys, read, []);
  const after = saveManyParams(keys, sealed, []).data;
  return db
    .update(table)
    .set({ data: sql`moved.data` })
    .from(sql`unnest(${sql.param(tokens)}::text[], ${before}::text::bytea[], ${after}::text::bytea[]) as moved(token, old, data)`)
    .where(and(eq(table.token, sql`moved.token`), eq(table.data, sql`moved.old`)))
    .returning({ key: table.token });
}

/** Moves the table's live rows to the cipher's current key; see {@link PGStore.reencrypt}. */
export async function reencryptRows(
  db: SessionDatabase,
  table: SessionsTable,
  cipher: SessionCipher,
  query: BatchQuery,
  { batchSize = 500, signal, onProgress }: ReencryptOptions,
): Promise<ReencryptProgress> {
  const progress: ReencryptProgress = { moved: 0, encrypted: 0, changedMeanwhile: 0, unreadable: 0 };
  let after = '';
  while (!signal?.aborted) {
    const rows = await query(() => unmovedRows(db, table, cipher.currentHeader, after, batchSize), { keys: [], data: [] });
    const keys: string[] = [];
    const read: Uint8Array[] = [];
    const sealed: Uint8Array[] = [];
    /** The keys of this batch's rows that were unencrypted. */
    const plain = new Set<string>();
    for (const row of rows) {
      const opened = cipher.open(row.key, row.data);
      if (typeof opened === 'string') {
        progress.unreadable++;
        continue;
      }
      // Only with readUnencrypted does a row not in the sealed format open at all.
      if (!isSealed(row.data)) plain.add(row.key);
      keys.push(row.key);
      read.push(row.data);
      sealed.push(cipher.seal(row.key, opened));
    }
    if (keys.length > 0) {
      const moved = await query(() => rewrite(db, table, keys, read, sealed), { keys, data: sealed });
      progress.moved += moved.length;
      progress.encrypted += moved.filter((row) => plain.has(row.key)).length;
      progress.changedMeanwhile += keys.length - moved.length;
    }
    onProgress?.({ ...progress });
    if (rows.length < batchSize) break;
    after = rows.at(-1)!.key;
  }
  return progress;
}
