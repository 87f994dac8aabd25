import { sessionStats, type CleanupRun, type PGStore, type SessionDatabase } from '../../src/index.js';

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
 * and the cleanup the store owns, and counts rows with the library's typed Drizzle query.
 */
export class StatusService {
  readonly #store: PGStore;
  readonly #db: SessionDatabase;

  constructor(store: PGStore, db: SessionDatabase) {
    this.#store = store;
    this.#db = db;
  }

  async read(): Promise<SessionsStatus> {
    // One typed Drizzle query on the store's own table, by the database clock as find does.
    const { live, expired } = await sessionStats(this.#db, this.#store.table);
    return { live, expired, lastCleanup: this.#store.cleanup.lastRun };
  }
}
