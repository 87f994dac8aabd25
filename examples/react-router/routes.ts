/**
 * The home route's loader and action over a session storage. In an app,
 * app/routes/home.tsx has `export const { loader, action } = homeRoute(storage);` with the
 * storage of sessions.server.ts.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type SessionStorage } from 'react-router';
import { crossSiteReason } from './cross-site.js';
import type { SessionData, SessionFlash } from './storage.js';

export function homeRoute({ getSession, commitSession, destroySession }: SessionStorage<SessionData, SessionFlash>) {
  /** Committed on every request, as React Router's docs show: unchanged, it writes nothing and sets no cookie. */
  async function loader({ request }: LoaderFunctionArgs) {
    const session = await getSession(request.headers.get('Cookie'));
    const notice = session.get('notice') ?? null; // a flash: read once
    return Response.json({ userId: session.get('userId') ?? null, notice }, { headers: { 'Set-Cookie': await commitSession(session) } });
  }

  async function action({ request }: ActionFunctionArgs) {
    const refused = crossSiteReason(request);
    if (refused !== undefined) return new Response(`refused: ${refused}`, { status: 403 });
    const old = await getSession(request.headers.get('Cookie'));
    if ((await request.formData()).get('intent') === 'sign-out') {
      return redirect('/', { headers: { 'Set-Cookie': await destroySession(old) } });
    }
    // Sign-in: a new session id, so an id planted before (session fixation) is worth nothing after.
    await destroySession(old);
    const session = await getSession(null);
    session.set('userId', 42);
    session.flash('notice', 'Signed in');
    return redirect('/', { headers: { 'Set-Cookie': await commitSession(session) } });
  }

  return { loader, action };
}
