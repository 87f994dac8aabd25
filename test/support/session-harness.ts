import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from '../../src/express/index.js';
import { hashToken, type SessionStore } from '../../src/index.js';
import { CookieClient } from './cookie-client.js';
import type { AppSettings, Framework, RunningApp } from './session-apps.js';
import type { OpenSessionBackend, SessionBackend, StoredRow } from './session-backends.js';

export interface HarnessSettings extends Omit<AppSettings, 'store'> {
  /** Options of the ExpressSessionStore. */
  options?: ExpressSessionStoreOptions;
  /** Wraps the store, e.g. to count calls. */
  wrap?: (store: SessionStore, options: ExpressSessionStoreOptions) => ExpressSessionStore;
  /** A table with the owner column, for `ownerOf`. */
  owners?: boolean;
}

/** An app on a fresh store and ExpressSessionStore over the harness's backend. */
export interface StartedApp {
  readonly app: RunningApp;
  readonly sessions: ExpressSessionStore;
  /** A new browser pointed at this app. */
  client(): CookieClient;
}

export interface SessionHarness {
  start(settings?: HarnessSettings): Promise<StartedApp>;
  /** Closes one app and its store now (the rest close after each test). */
  stop(started: StartedApp): Promise<void>;
  /** The row of a session id, or null. */
  row(sid: string): Promise<StoredRow | null>;
  /** Moves a session's stored expiry by `seconds` (negative: earlier), as time passing would. */
  shiftExpiry(sid: string, seconds: number): Promise<void>;
  /** Replaces a session's stored bytes with these UTF-8 ones. */
  overwriteData(sid: string, text: string): Promise<void>;
  /** How many rows the table has, live or not. */
  rowCount(): Promise<number>;
}

/**
 * Opens one session backend for a describe block, empties it before each test, and closes
 * every app and store a test started after it.
 */
export function useSessionHarness(framework: Framework, open: OpenSessionBackend, { hashTokens = false } = {}) {
  let backend: SessionBackend;
  /** Each app a test started, with what closes its store. */
  const running = new Map<StartedApp, () => Promise<void>>();
  const key = (sid: string) => (hashTokens ? hashToken(sid) : sid);

  const stop = async (started: StartedApp) => {
    const closeStore = running.get(started);
    running.delete(started);
    await started.app.close();
    await closeStore?.();
  };

  const harness: SessionHarness = {
    async start({ options = {}, wrap, owners = false, ...settings } = {}) {
      const store = await backend.openStore({ hashTokens, owners });
      const sessions = wrap ? wrap(store, options) : new ExpressSessionStore(store, options);
      const app = await framework.start({ ...settings, store: sessions });
      const started = { app, sessions, client: () => new CookieClient(app.url) };
      running.set(started, () => store.close());
      return started;
    },
    stop,
    row: (sid) => backend.row(key(sid)),
    shiftExpiry: (sid, seconds) => backend.shiftExpiry(key(sid), seconds),
    overwriteData: (sid, text) => backend.overwriteData(key(sid), text),
    rowCount: () => backend.rowCount(),
  };

  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.empty());
  afterEach(async () => {
    await Promise.all([...running.keys()].map(stop));
  });
  return harness;
}

/** The time around an action, to bound an expiry the app computed from its own clock. */
export async function timed<T>(action: () => Promise<T>): Promise<{ result: T; before: number; after: number }> {
  const before = Date.now();
  const result = await action();
  return { result, before, after: Date.now() };
}
