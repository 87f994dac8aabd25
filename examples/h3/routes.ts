/**
 * The example's routes, as h3 handlers: h3-server.ts registers them on an H3 app, and the Nitro
 * app's files under server/routes/ export them.
 */
import { defineHandler, HTTPError, readBody, redirect } from 'h3';
import { loadSession } from 'drizzle-pgstore/h3';
import { manager } from './sessions.ts';

export const home = defineHandler(async (event) => {
  const session = await loadSession(event, manager);
  return { user: session.get('user') ?? null, keys: session.keys() };
});

export const visit = defineHandler(async (event) => {
  const session = await loadSession(event, manager);
  session.set('visits', (session.get('visits') ?? 0) + 1);
  return { visits: session.get('visits') };
});

export const setKey = defineHandler(async (event) => {
  const session = await loadSession(event, manager);
  session.set(`k${Number(event.context.params!.n)}`, true);
  return { ok: true };
});

export const signIn = defineHandler(async (event) => {
  const { user } = (await readBody<{ user?: string }>(event)) ?? {};
  if (typeof user !== 'string' || user === '') throw new HTTPError({ status: 400, message: 'a user name is needed' });
  const session = await loadSession(event, manager);
  await session.renewToken(); // a new token at sign-in: one planted before is worth nothing
  session.set('user', user);
  return redirect('/', 303);
});

export const signOut = defineHandler(async (event) => {
  (await loadSession(event, manager)).destroy();
  return redirect('/', 303);
});
