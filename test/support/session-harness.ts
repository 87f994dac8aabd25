import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../../src/express.js';
import { hashToken, PGStore } from '../../src/index.js';
import type { Backend, OpenBackend } from './backends.js';
import { CookieClient } from './cookie-client.js';
import type { AppSettings, Framework, RunningApp } from './session-apps.js';

export interface HarnessSettings extends Omit<AppSettings, 'store'> {
  /** Options of the ExpressSessionStore. */
  options?: ExpressSessionStoreOptions;
  /** Wraps the store, e.g. to count calls. */
  wrap?: (store: PGStore, options: ExpressSessionStoreOptions) => ExpressSessionStore;
}

/** An app on a fresh PGStore and ExpressSessionStore over the harness's database. */
export interface StartedApp {
  readonly app: RunningApp;
  readonly sessions: ExpressSessionStore;
  /** A new browser pointed at this app. */
  client(): CookieClient;
}

/** A session row as PostgreSQL holds it. */
export interface StoredRow {
  /** Changes whenever the row is written: an unchanged xmin means no write happened. */
  xmin: string;
  expiryMs: number;
  text: string;
}

export interface SessionHarness {
  readonly framework: Framework;
  readonly hashTokens: boolean;
  readonly backend: Backend;
  start(settings?: HarnessSettings): Promise<StartedApp>;
  /** Closes one app and its store now (the rest close after each test). */
  stop(started: StartedApp): Promise<void>;
  /** The row of a session id, or null. */
  row(sid: string): Promise<StoredRow | null>;
  /** Moves a session's stored expiry by `seconds` (negative: earlier), as time passing would. */
  shiftExpiry(sid: string, seconds: number): Promise<void>;
  /** Replaces a session's stored bytes with these UTF-8 ones. */
  overwriteData(sid: string, text: string): Promise<void>;
}

/**
 * Opens one database for a describe block, empties the sessions table before each test,
 * and closes every app and store a test started after it.
 */
export function useSessionHarness(framework: Framework, open: OpenBackend, { hashTokens = false } = {}) {
  let backend: Backend;
  const running: StartedApp[] = [];
  const key = (sid: string) => (hashTokens ? hashToken(sid) : sid);

  const stop = async (started: StartedApp) => {
    running.splice(running.indexOf(started), 1);
    await started.app.close();
    await started.sessions.store.close();
  };

  const harness: SessionHarness = {
    framework,
    hashTokens,
    get backend() {
      return backend;
    },
    async start({ options = {}, wrap, ...settings } = {}) {
      const store = new PGStore(backend.db, { cleanupInterval: 0, hashTokens });
      const sessions = wrap ? wrap(store, options) : new ExpressSessionStore(store, options);
      const app = await framework.start({ ...settings, store: sessions });
      const started = { app, sessions, client: () => new CookieClient(app.url) };
      running.push(started);
      return started;
    },
    stop,
    async row(sid) {
      const [row] = await backend.query<{ xmin: string; ms: number | string; text: string }>(
        `SELECT xmin::text AS xmin, (extract(epoch FROM expiry) * 1000)::float8 AS ms,
                convert_from(data, 'UTF8') AS text
         FROM sessions WHERE token = $1`,
        [key(sid)],
      );
      return row ? { xmin: row.xmin, expiryMs: Number(row.ms), text: row.text } : null;
    },
    async shiftExpiry(sid, seconds) {
      await backend.query(`UPDATE sessions SET expiry = expiry + make_interval(secs => $2) WHERE token = $1`, [
        key(sid),
        seconds,
      ]);
    },
    async overwriteData(sid, text) {
      await backend.query(`UPDATE sessions SET data = convert_to($2, 'UTF8') WHERE token = $1`, [key(sid), text]);
    },
  };

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(async () => {
    await Promise.all([...running].map(stop));
  });
  return harness;
}

/** The time around an action, to bound an expiry the app computed from its own clock. */
export async function timed<T>(action: () => Promise<T>): Promise<{ result: T; before: number; after: number }> {
  const before = Date.now();
  const result = await action();
  return { result, before, after: Date.now() };
}
