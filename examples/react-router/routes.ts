/**
 * A loader and an action on the session storage: what app/routes/*.tsx would export.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from 'react-router';
import { commitSession, destroySession, getSession } from './sessions.server.js';

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getSession(request.headers.get('Cookie'));
  const notice = session.get('notice'); // a flash: read once
  return Response.json({ userId: session.get('userId') ?? null, notice }, { headers: { 'Set-Cookie': await commitSession(session) } });
}

export async function action({ request }: ActionFunctionArgs) {
  const old = await getSession(request.headers.get('Cookie'));
  if ((await request.formData()).get('intent') === 'sign-out') {
    return redirect('/', { headers: { 'Set-Cookie': await destroySession(old) } });
  }
  // Sign-in: a new session id, so an id planted before is worth nothing after.
  await destroySession(old);
  const session = await getSession(null);
  session.set('userId', 42);
  session.flash('notice', 'Signed in');
  return redirect('/', { headers: { 'Set-Cookie': await commitSession(session) } });
}
