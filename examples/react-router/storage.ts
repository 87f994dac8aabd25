/**
 * The session storage of the example, given where sessions are kept: what
 * app/sessions.server.ts makes, and what the tests make on each of their databases.
 */
import { createCookie } from 'react-router';
import type { SessionStore } from 'drizzle-pgstore';
import { createPGSessionStorage } from 'drizzle-pgstore/react-router';

/** What a session holds, and what it holds for one read only (a flash). */
export type SessionData = { userId: number };
export type SessionFlash = { notice: string };

export function sessionStorage(store: SessionStore, secret: string) {
  if (!secret) throw new Error('set SESSION_SECRET: the session cookie is signed with it');
  return createPGSessionStorage<SessionData, SessionFlash>({
    store,
    // Signed, so only ids this storage issued come back.
    cookie: createCookie('__session', {
      secrets: [secret],
      httpOnly: true,
      secure: process.env.NODE_ENV === 'production',
      sameSite: 'lax',
      path: '/',
      maxAge: 7 * 24 * 3600,
    }),
  });
}
