/**
 * Adding the session cookie to a Response the handler made, whatever kind it is.
 */

/** What a response that sets the session cookie also needs: a shared cache must neither serve it to another visitor nor store the cookie. */
export function addNoSharedCacheHeaders(headers: Headers): void {
  const vary = headers.get('Vary')?.toLowerCase() ?? '';
  if (!/(^|,)\s*(cookie|\*)\s*(,|$)/.test(vary)) headers.append('Vary', 'Cookie');
  headers.append('Cache-Control', 'no-cache="Set-Cookie"');
}

function addCookieHeaders(headers: Headers, setCookie: string): void {
  headers.append('Set-Cookie', setCookie);
  addNoSharedCacheHeaders(headers);
}

/**
 * `response` with the session cookie added. Responses whose headers are immutable
 * (`Response.redirect`, a `fetch` result) are copied: status, headers and the body stream
 * move to the copy, so use the returned response, never the one passed in.
 */
export function withSessionCookie(response: Response, setCookie: string): Response {
  if (response.type === 'error') {
    throw new TypeError('drizzle-pgstore: a session cookie cannot be set on Response.error()');
  }
  try {
    addCookieHeaders(response.headers, setCookie);
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(response.body, response);
    addCookieHeaders(copy.headers, setCookie);
    return copy;
  }
}
