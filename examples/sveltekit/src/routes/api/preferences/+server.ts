import { error, json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

const NAME = /^[a-z0-9-]{1,40}$/;

/**
 * Sets one preference from a form (`name=theme&value=dark`). Requests that set different
 * preferences of one session at once all keep theirs: the manager plays each request's
 * changes onto the row as it is when it commits.
 */
export const POST: RequestHandler = async ({ request, locals }) => {
  const form = await request.formData();
  const name = form.get('name');
  const value = form.get('value');
  if (typeof name !== 'string' || !NAME.test(name) || typeof value !== 'string' || value.length > 200) {
    error(400, 'Send a name of a-z, 0-9 and - and a value of at most 200 characters');
  }
  locals.session.set(`pref:${name}`, value);
  return json({ saved: name });
};
