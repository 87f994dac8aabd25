import { cookies } from 'next/headers';
import { sessions } from '@/lib/sessions';

// proxy.ts lets only signed-in visitors this far.
export default async function Account() {
  const session = await sessions.read(cookies());
  return (
    <main>
      <h1>Account of {session.get('user')}</h1>
      <p>Signed in until {session.deadline.toISOString()}</p>
    </main>
  );
}
