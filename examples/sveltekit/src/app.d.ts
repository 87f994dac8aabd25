import type { SessionLocals } from 'drizzle-pgstore/sveltekit';
import type { SessionData } from '#lib/server/sessions.ts';

// `locals.session` in every load, form action and +server.ts: a Session of this app's data.
declare global {
  namespace App {
    interface Locals extends SessionLocals<SessionData> {}
  }
}

export {};
