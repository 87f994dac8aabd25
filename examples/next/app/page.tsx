import { cookies } from 'next/headers';
import { sessions } from '@/lib/sessions';
import { signIn, signOut } from './actions';

// A Server Component reads the session; it cannot set cookies, so it changes nothing.
export default async function Home({ searchParams }: { searchParams: Promise<{ failed?: string }> }) {
  const session = await sessions.read(cookies());
  const user = session.get('user');
  const { failed } = await searchParams;
  if (user === undefined) {
    return (
      <main>
        <h1>Sign in</h1>
        {failed && <p role="alert">Wrong user or password.</p>}
        <form action={signIn}>
          <input name="user" placeholder="user" />
          <input name="password" type="password" placeholder="password" />
          <button>Sign in</button>
        </form>
      </main>
    );
  }
  const pins = session.keys().filter((key) => key.startsWith('pin:')).map((key) => key.slice('pin:'.length)).sort();
  return (
    <main>
      <h1>Signed in as {user}</h1>
      <p>
        <a href="/account">Account</a>
      </p>
      <p data-pins={pins.length}>Pinned: {pins.join(', ') || 'nothing yet'}</p>
      <form action={signOut}>
        <button>Sign out</button>
      </form>
    </main>
  );
}
