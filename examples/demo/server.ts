/**
 * The drizzle-pgstore demo: `npm start`. With no configuration its sessions live in an
 * embedded PGlite database under .data/demo; with DATABASE_URL, in that PostgreSQL.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/cli/database.js';
import { ExpressSessionStore } from '../../src/express.js';
import { PGStore } from '../../src/index.js';
import { createDemoApp } from './app.js';
import { readConfig } from './config.js';
import { loadSessionSecret } from './secret.js';
import { StatusService } from './status-service.js';

async function main(): Promise<void> {
  const config = readConfig(process.env);
  await mkdir(config.dataDir, { recursive: true });
  const secret = config.sessionSecret ?? (await loadSessionSecret(config.dataDir));

  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { pgliteDir: join(config.dataDir, 'pglite') },
  );
  await database.migrate();
  const store = new PGStore(database.db, { cleanupInterval: config.cleanupInterval });
  const app = createDemoApp({
    // touchAfter: a visitor who only reads pages moves their row's expiry at most once a minute.
    sessionStore: new ExpressSessionStore(store, { touchAfter: 60 }),
    secret,
    status: new StatusService(store, database.db),
    // The status page is for every visitor: it says which kind of database, and only the log says where.
    about: { databaseKind: config.databaseUrl ? 'PostgreSQL' : 'PGlite', cleanupInterval: config.cleanupInterval },
  });

  const server = app.listen(config.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  console.log(`sessions in ${database.label}`);
  console.log(`open http://127.0.0.1:${port}`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: stopping`);
    const closed = once(server, 'close');
    server.close();
    // Browsers hold idle keep-alive connections open; they would keep the server waiting.
    server.closeIdleConnections();
    await closed;
    await store.close(); // stops the cleanup and waits for a run in flight
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
}

main().catch((error: unknown) => {
  // Bad settings and unreachable databases get one line, not a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (set PORT to another port, or 0 for any free one)' : '';
  console.error(`demo: ${message}${hint}`);
  process.exit(1);
});
