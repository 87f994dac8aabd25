import { PGStore, type SessionStore } from '../../src/index.js';
import { BACKENDS, type OpenBackend } from './backends.js';
import { MemoryStore, MemoryTable } from './memory-store.js';
import { addOwnerColumn, ownedSessions } from './owned-sessions.js';

/** A stored session as the suites look at it, behind the store's back. */
export interface StoredRow {
  /** Changes whenever the row is written: an unchanged version means no write happened. */
  version: string;
  expiryMs: number;
  text: string;
}

/**
 * Where the adapter suites keep sessions: a SessionStore implementation, and a way to look
 * at and change what it stored as time passing or a bad write would. Rows are looked up by
 * the key the store keeps them under (the session id, or its hash with `hashTokens`).
 */
export interface SessionBackend {
  /**
   * A new store on this backend's sessions: a second one sees what the first saved. With
   * `owners`, the table has the owner column and the store writes it.
   */
  openStore(options: { hashTokens: boolean; owners?: boolean }): Promise<SessionStore & { close(): Promise<void> }>;
  /** How many rows there are, live or not. */
  rowCount(): Promise<number>;
  /** The row kept under `key`, or null. */
  row(key: string): Promise<StoredRow | null>;
  /** Moves a row's expiry by `seconds` (negative: earlier). */
  shiftExpiry(key: string, seconds: number): Promise<void>;
  /** Replaces a row's bytes with these UTF-8 ones. */
  overwriteData(key: string, text: string): Promise<void>;
  /** Removes every session. */
  empty(): Promise<void>;
  close(): Promise<void>;
}

export type OpenSessionBackend = () => Promise<SessionBackend>;

/** PGStore on a database, its rows read and changed with SQL. */
const onDatabase =
  (open: OpenBackend): OpenSessionBackend =>
  async () => {
    const backend = await open();
    let ownerColumn: Promise<void> | undefined;
    return {
      async openStore({ hashTokens, owners = false }) {
        if (!owners) return new PGStore(backend.db, { cleanupInterval: 0, hashTokens });
        await (ownerColumn ??= addOwnerColumn(backend));
        return new PGStore(backend.db, { cleanupInterval: 0, hashTokens, table: ownedSessions });
      },
      async rowCount() {
        const [row] = await backend.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
        return Number(row!.n);
      },
      async row(key) {
        const [row] = await backend.query<{ xmin: string; ms: number | string; text: string }>(
          `SELECT xmin::text AS xmin, (extract(epoch FROM expiry) * 1000)::float8 AS ms,
                  convert_from(data, 'UTF8') AS text
           FROM sessions WHERE token = $1`,
          [key],
        );
        return row ? { version: row.xmin, expiryMs: Number(row.ms), text: row.text } : null;
      },
      async shiftExpiry(key, seconds) {
        await backend.query(`UPDATE sessions SET expiry = expiry + make_interval(secs => $2) WHERE token = $1`, [key, seconds]);
      },
      async overwriteData(key, text) {
        await backend.query(`UPDATE sessions SET data = convert_to($2, 'UTF8') WHERE token = $1`, [key, text]);
      },
      empty: async () => void (await backend.query('TRUNCATE sessions')),
      close: () => backend.close(),
    };
  };

/** MemoryStore, a second implementation of the interface, on one table in memory. */
export const inMemory: OpenSessionBackend = async () => {
  const table = new MemoryTable();
  const utf8 = new TextEncoder();
  return {
    openStore: async ({ hashTokens }) => Object.assign(new MemoryStore(table, { hashTokens }), { close: async () => {} }),
    rowCount: async () => table.rows.size,
    async row(key) {
      const row = table.rows.get(key);
      return row ? { version: String(row.version), expiryMs: row.expiry.getTime(), text: new TextDecoder().decode(row.data) } : null;
    },
    async shiftExpiry(key, seconds) {
      const row = table.rows.get(key);
      if (row) table.write(key, row.data, new Date(row.expiry.getTime() + seconds * 1000));
    },
    async overwriteData(key, text) {
      const row = table.rows.get(key);
      if (row) table.write(key, utf8.encode(text), row.expiry);
    },
    empty: async () => table.rows.clear(),
    close: async () => {},
  };
};

/**
 * Where the adapter suites run: the in-memory SessionStore always (it proves the adapters
 * need only the interface), then PGStore on each of {@link BACKENDS}.
 */
export const SESSION_BACKENDS: ReadonlyArray<{ readonly name: string; readonly open: OpenSessionBackend }> = [
  { name: 'an in-memory SessionStore', open: inMemory },
  ...BACKENDS.map((backend) => ({ name: `PGStore on ${backend.name}`, open: onDatabase(backend.open) })),
];
