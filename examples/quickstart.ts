/**
 * drizzle-pgstore in one minute, on an embedded PGlite database (no server needed):
 * create the table, save a session, find it, let it expire, clean it up.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { PGStore } from '../src/index.js';

const client = new PGlite();
const db = drizzle(client);
await migrate(db, {
  migrationsFolder: new URL('../drizzle', import.meta.url).pathname,
  migrationsTable: '__drizzle_pgstore_migrations',
});
console.log('Created the sessions table in an in-memory PGlite database.');

const store = new PGStore(db, { cleanupInterval: 0 });
const text = new TextDecoder();
const token = crypto.randomUUID();

await store.save(token, new TextEncoder().encode('{"user":"ada"}'), new Date(Date.now() + 500));
console.log('save  a session expiring in 0.5 s'); // never print a token: it signs its holder in
console.log(`find  -> ${text.decode((await store.find(token)) ?? new Uint8Array())}`);
await store.save('long-lived', new TextEncoder().encode('{"user":"grace"}'), new Date(Date.now() + 3_600_000));
console.log(`all   -> ${(await store.all()).size} live sessions`);

await new Promise((resolve) => setTimeout(resolve, 600));
console.log(`find after expiry -> ${String(await store.find(token))}`);
console.log(`deleteExpired -> removed ${await store.deleteExpired()} row(s)`);
// all() is keyed by the tokens' hashes (the table keeps no token), so count rather than print them.
console.log(`all   -> ${(await store.all()).size} live session, the long-lived one: ${text.decode((await store.find('long-lived'))!)}`);

await store.close();
await client.close();
