import node from '@astrojs/node';
import { defineConfig } from 'astro/config';
import { pgSessionDriver } from 'drizzle-pgstore/astro';

// Seconds. Build-time settings, as all of astro.config: the build keeps them.
const ttl = Number(process.env.SESSION_TTL ?? 7 * 24 * 3600);

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  // The driver's ttl ends a session: its row expires ttl after the last change, and the cleanup
  // (here every minute, or every ttl if shorter) deletes it. The database URL is read from
  // DATABASE_URL when the server runs.
  session: { driver: pgSessionDriver({ ttl, cleanupInterval: Math.min(ttl * 1000, 60_000) }) },
  // The default, spelt out: form posts whose Origin is not this site's get a 403 (CSRF).
  security: { checkOrigin: true },
});
