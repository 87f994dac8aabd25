import type { APIRoute } from 'astro';

/** The session as JSON, from an endpoint's context.session: what a script on the page would fetch. */
export const GET: APIRoute = async ({ session }) =>
  Response.json(
    { user: (await session?.get('user')) ?? null, cart: (await session?.get('cart')) ?? [] },
    { headers: { 'Cache-Control': 'no-store' } },
  );
