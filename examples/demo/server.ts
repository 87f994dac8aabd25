/**
 * The drizzle-pgstore demo: `npm start`. With no configuration its sessions live in an
 * embedded PGlite database under .data/demo; with DATABASE_URL, in that PostgreSQL.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/cli/database.js';
import { defineSessionsTable, PGStore } from '../../src/index.js';
import { createDemoApp } from './app.js';
import { loadSessionSecret, readConfig } from './config.js';

/** The shipped table, with the owner column `migrate({ owner: true })` adds. */
const demoSessions = defineSessionsTable('sessions', { owner: true });

async function main(): Promise<void> {
  const config = readConfig(process.env);
  await mkdir(config.dataDir, { recursive: true });
  const secret = config.sessionSecret ?? (await loadSessionSecret(config.dataDir));

  // The CLI's opener, so that the demo runs on PGlite or PostgreSQL alike, holds a PGlite folder
  // for one process, and makes the sessions table with the shipped migrations. An app hands
  // PGStore the Drizzle database it already has (examples/express-server.ts).
  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { pgliteDir: join(config.dataDir, 'pglite') },
  );
  // With an owner column, so the status page can list where a name is signed in.
  await database.migrate({ owner: true });
  const store = new PGStore(database.db, { cleanupInterval: config.cleanupInterval, table: demoSessions });
  const app = createDemoApp({
    store,
    db: database.db,
    secret,
    databaseKind: config.databaseUrl ? 'PostgreSQL' : 'PGlite',
    cleanupInterval: config.cleanupInterval,
  });

  const server = app.listen(config.port, '127.0.0.1');
  await once(server, 'listening');

  // Signals are caught before the address is announced: a SIGTERM sent as soon as "open" is
  // read must find a handler, not the default action that ends the process on the spot.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: stopping`);
    // In this order: requests in flight still save their sessions, then the store stops its
    // cleanup (waiting for a run in flight), and only then does the database go.
    const closed = once(server, 'close');
    server.close();
    // Browsers hold idle keep-alive connections open; they would keep the server waiting.
    server.closeIdleConnections();
    await closed;
    await store.close();
    await database.close();
    console.log('stopped');
    // Nothing is left holding the event loop, so the process ends by itself with status 0.
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch((error: unknown) => {
        console.error(`demo: could not stop cleanly: ${(error as Error).message}`);
        process.exit(1);
      });
    });
  }

  // The label hides any password; the status page, open to every visitor, says even less.
  console.log(`sessions in ${database.label}`);
  console.log(`open http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

main().catch((error: unknown) => {
  // Bad settings and unreachable databases get one line, not a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' ? ' (set PORT to another port, or 0 for any free one)' : '';
  console.error(`demo: ${message}${hint}`);
  process.exit(1);
});
