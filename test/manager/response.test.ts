import { describe, expect, it } from 'vitest';
import { withSessionCookie } from '../../src/manager/response.js';

describe('adding the session cookie to a response', () => {
  it('adds Set-Cookie, Vary: Cookie and Cache-Control, keeping what the response had', async () => {
    const original = new Response('body', { status: 201, headers: { Vary: 'Accept-Encoding', 'Cache-Control': 'private' } });
    original.headers.append('Set-Cookie', 'other=1');
    const response = withSessionCookie(original, 'session=abc');
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['other=1', 'session=abc']);
    expect(response.headers.get('Vary')).toBe('Accept-Encoding, Cookie');
    expect(response.headers.get('Cache-Control')).toBe('private, no-cache="Set-Cookie"');
    expect(await response.text()).toBe('body');
  });

  it('does not repeat Cookie in Vary, nor add it beside *', () => {
    for (const vary of ['cookie', 'Accept, Cookie', '*']) {
      const response = withSessionCookie(new Response(null, { headers: { Vary: vary } }), 'session=abc');
      expect(response.headers.get('Vary')).toBe(vary);
    }
  });

  it('copies a response whose headers are immutable, keeping status, headers and body', async () => {
    const redirect = Response.redirect('http://127.0.0.1/next', 303);
    expect(() => redirect.headers.append('X', '1')).toThrow(TypeError);
    const response = withSessionCookie(redirect, 'session=abc');
    expect(response).not.toBe(redirect);
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('http://127.0.0.1/next');
    expect(response.headers.getSetCookie()).toEqual(['session=abc']);
  });

  it('refuses Response.error(), which has no headers to carry a cookie', () => {
    expect(() => withSessionCookie(Response.error(), 'session=abc')).toThrow(/Response.error\(\)/);
  });
});
