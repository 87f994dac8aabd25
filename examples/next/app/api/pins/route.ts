import { cookies } from 'next/headers';
import { sessions } from '@/lib/sessions';
import { isSameOrigin } from '@/lib/same-origin';

const PAGE = /^[a-z0-9-]{1,40}$/;

/** POST { page } pins a page to the session; DELETE ?page= unpins it. Signed-in visitors only. */
async function change(request: Request, page: unknown, pin: boolean): Promise<Response> {
  if (!isSameOrigin(request)) return Response.json({ error: 'cross-site request refused' }, { status: 403 });
  if (typeof page !== 'string' || !PAGE.test(page)) return Response.json({ error: 'page: 1-40 of a-z, 0-9, -' }, { status: 400 });
  return sessions.update(cookies(), (session) => {
    if (!session.has('user')) return Response.json({ error: 'sign in first' }, { status: 401 });
    if (pin) session.set(`pin:${page}`, new Date().toISOString());
    else session.delete(`pin:${page}`);
    return Response.json({ page, pinned: pin });
  });
}

export async function POST(request: Request): Promise<Response> {
  const body: unknown = await request.json().catch(() => null);
  return change(request, (body as { page?: unknown } | null)?.page, true);
}

export async function DELETE(request: Request): Promise<Response> {
  return change(request, new URL(request.url).searchParams.get('page'), false);
}
