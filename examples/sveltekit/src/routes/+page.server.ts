import { fail, redirect } from '@sveltejs/kit';
import { passwordMatches } from '#lib/server/users.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  const { session } = locals;
  const preferences = Object.fromEntries(
    session.keys().flatMap((key) => (key.startsWith('pref:') ? [[key.slice('pref:'.length), session.get(key)]] : [])),
  );
  // pop: the notice shows once. Popping a key that is not there changes (and writes) nothing.
  return { userId: session.get('userId') ?? null, notice: session.pop('notice') ?? null, preferences };
};

export const actions: Actions = {
  signIn: async ({ request, locals }) => {
    const form = await request.formData();
    const name = String(form.get('name') ?? '');
    if (!passwordMatches(name, String(form.get('password') ?? ''))) {
      return fail(400, { name, wrong: true });
    }
    // A new token at sign-in, so a token planted before (session fixation) is worth nothing.
    await locals.session.renewToken();
    locals.session.set('userId', name);
    redirect(303, '/');
  },
  signOut: ({ locals }) => {
    // The row is deleted and the cookie expired when the hook commits.
    locals.session.destroy();
    redirect(303, '/');
  },
};
