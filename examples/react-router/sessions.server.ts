/**
 * React Router (7 or 8) or Remix: the session storage, in app/sessions.server.ts. Loaders and
 * actions use it as any React Router session storage (see routes.ts beside this file).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { createCookie } from 'react-router';
import { PGStore } from 'drizzle-pgstore';
import { createPGSessionStorage } from 'drizzle-pgstore/react-router';

type Data = { userId: number };
type Flash = { notice: string };

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on('error', (error) => console.error(`database: ${error.message}`));

export const { getSession, commitSession, destroySession } = createPGSessionStorage<Data, Flash>({
  store: new PGStore(drizzle(pool)),
  // Signed, so only ids this storage issued come back.
  cookie: createCookie('__session', {
    secrets: [process.env.SESSION_SECRET ?? ''],
    httpOnly: true,
    secure: process.env.NODE_ENV === 'production',
    sameSite: 'lax',
    path: '/',
    maxAge: 7 * 24 * 3600,
  }),
});
