/**
 * CSRF for Route Handlers: Next checks the Origin of Server Actions itself, not of Route
 * Handlers, and a SameSite=Lax cookie still rides along on same-site requests. A
 * state-changing request must come from this origin: the browser's Sec-Fetch-Site says so,
 * or else its Origin matches the Host it was sent to.
 */
export function isSameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin';
  const origin = request.headers.get('origin');
  const host = request.headers.get('host');
  if (origin === null || host === null) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
