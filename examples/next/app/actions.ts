'use server';
// Server Actions: Next refuses one whose Origin is not this app's host (its CSRF guard).
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sessions } from '@/lib/sessions';
import { checkPassword } from '@/lib/users';

export async function signIn(form: FormData): Promise<void> {
  const user = String(form.get('user') ?? '');
  if (!checkPassword(user, String(form.get('password') ?? ''))) redirect('/?failed=1');
  await sessions.update(cookies(), async (session) => {
    // A new token at sign-in: a token planted before it (session fixation) is worth nothing after.
    await session.renewToken();
    session.set('user', user);
    redirect('/');
  });
}

export async function signOut(): Promise<void> {
  await sessions.update(cookies(), (session) => session.destroy());
  redirect('/');
}
