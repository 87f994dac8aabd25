/**
 * The example's guard for actions: a state-changing request that the browser says came from
 * another origin is refused before its session is loaded. React Router's own request handler
 * checks `Origin` on action requests; this also covers `Sec-Fetch-Site` and servers built on
 * `createStaticHandler`, which check nothing.
 */

// Reading a page changes nothing; every other method may.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why `request` must be refused as cross-site, or undefined when the browser says it is our
 * own: `Sec-Fetch-Site` is `same-origin` or `none` (the user's own doing), and `Origin`, if
 * sent, is the request's own. A request with neither header is not from a browser that would
 * carry a victim's cookies.
 */
export function crossSiteReason(request: Request): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${JSON.stringify(site)}`;
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== new URL(request.url).origin) return `Origin ${JSON.stringify(origin.slice(0, 100))} is not this site's`;
  return undefined;
}
