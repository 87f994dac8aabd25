import { count, gt, lte, sql, type SQL } from 'drizzle-orm';
import type { CleanupRun, PGStore, SessionDatabase } from '../../src/index.js';

/** What the status page shows. */
export interface SessionsStatus {
  /** Sessions a request could still use. */
  live: number;
  /** Rows past their expiry that the next cleanup will remove. */
  expired: number;
  /** The store's most recent background cleanup, if one has run. */
  lastCleanup: CleanupRun | undefined;
}

/**
 * Reads the state of the sessions table for the status page. It is handed the store (the
 * repository) rather than building its own, so it reads the very table the sessions go to
 * and the cleanup the store owns, and counts rows with typed Drizzle queries.
 */
export class StatusService {
  readonly #store: PGStore;
  readonly #db: SessionDatabase;

  constructor(store: PGStore, db: SessionDatabase) {
    this.#store = store;
    this.#db = db;
  }

  async read(): Promise<SessionsStatus> {
    const { expiry } = this.#store.table;
    // The database clock decides what is expired, exactly as the store's find does.
    const now = sql`current_timestamp`;
    const [live, expired] = await Promise.all([this.#count(gt(expiry, now)), this.#count(lte(expiry, now))]);
    return { live, expired, lastCleanup: this.#store.cleanup.lastRun };
  }

  async #count(where: SQL): Promise<number> {
    const [row] = await this.#db.select({ rows: count() }).from(this.#store.table).where(where);
    return row?.rows ?? 0;
  }
}
