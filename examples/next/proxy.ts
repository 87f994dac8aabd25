import { NextResponse, type NextRequest } from 'next/server';
import { sessions } from '@/lib/sessions';

// Gates /account: a visitor who is not signed in goes to the sign-in page instead.
export async function proxy(request: NextRequest) {
  const session = await sessions.read(request.cookies);
  if (session.has('user')) return NextResponse.next();
  return NextResponse.redirect(new URL('/', request.url));
}

export const config = { matcher: ['/account'] };
