import { redirect } from '@sveltejs/kit';
import { sequence, type Handle } from '@sveltejs/kit/hooks';
import { sessionHandle } from 'drizzle-pgstore/sveltekit';
import { manager } from '#lib/server/sessions.ts';

/** /account is for signed-in visitors: the others are sent to sign in, with a notice why. */
const guard: Handle = ({ event, resolve }) => {
  if (event.url.pathname.startsWith('/account') && !event.locals.session.has('userId')) {
    event.locals.session.set('notice', 'Sign in to see your account.');
    redirect(303, '/');
  }
  return resolve(event);
};

export const handle = sequence(sessionHandle(manager), guard);
