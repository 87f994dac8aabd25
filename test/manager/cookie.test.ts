import { describe, expect, it } from 'vitest';
import { expiredCookie, readCookie, resolveCookieOptions, serializeCookie, sessionCookie } from '../../src/manager/cookie.js';

describe('session cookie options', () => {
  it('defaults to a persistent, HttpOnly, Secure, SameSite=Lax cookie called session on /', () => {
    expect(resolveCookieOptions()).toEqual({
      name: 'session',
      domain: undefined,
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      partitioned: false,
      persist: true,
    });
  });

  it.each([
    [{ name: 'a;b' }, /cookie.name must be a cookie name/],
    [{ name: '' }, /cookie.name must be a cookie name/],
    [{ name: 'sess ion' }, /cookie.name/],
    [{ domain: 'evil.com; Path=/' }, /cookie.domain must be a host name/],
    [{ path: 'no-slash' }, /cookie.path must be a path/],
    [{ path: '/a;HttpOnly' }, /cookie.path/],
    [{ sameSite: 'bogus' }, /cookie.sameSite must be 'lax', 'strict' or 'none', got "bogus"/],
    [{ secure: 'false' }, /cookie.secure must be a boolean, got string/],
    [{ sameSite: 'none', secure: false }, /sameSite 'none' needs secure: true/],
    [{ partitioned: true, secure: false }, /partitioned needs secure: true/],
    [{ name: '__Host-s', domain: 'example.com' }, /__Host- prefix/],
    [{ name: '__Secure-s', secure: false }, /__Secure- prefix/],
    [{ maxAge: 5 }, /cookie.maxAge is not a cookie option/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveCookieOptions(options as never)).toThrow(message);
  });
});

describe('reading the cookie', () => {
  it('takes the first cookie of that name, as browsers send the most specific first', () => {
    expect(readCookie('a=1; session=first; session=second', 'session')).toBe('first');
    expect(readCookie('sessionx=1;session = spaced ', 'session')).toBe('spaced');
    expect(readCookie('other=1', 'session')).toBeUndefined();
    expect(readCookie(null, 'session')).toBeUndefined();
    expect(readCookie('session', 'session')).toBeUndefined();
  });
});

describe('writing the cookie', () => {
  const options = resolveCookieOptions({ domain: 'example.com', partitioned: true });
  const now = Date.parse('2026-01-01T00:00:00.000Z');

  it('gives a persistent cookie maxAge in seconds, rounded up, and expires, in the shape cookie setters take', () => {
    const cookie = sessionCookie(options, 'TOKEN', new Date(now + 1500), now);
    expect(cookie).toEqual({
      name: 'session',
      value: 'TOKEN',
      options: {
        path: '/',
        domain: 'example.com',
        maxAge: 2,
        expires: new Date(now + 1500),
        httpOnly: true,
        secure: true,
        sameSite: 'lax',
        partitioned: true,
      },
    });
    expect(serializeCookie(cookie)).toBe(
      'session=TOKEN; Path=/; Domain=example.com; Max-Age=2; Expires=Thu, 01 Jan 2026 00:00:01 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned',
    );
  });

  it('leaves out what is not set: no domain, no partitioned', () => {
    const cookie = sessionCookie(resolveCookieOptions({ sameSite: 'strict' }), 'TOKEN', new Date(now + 1000), now);
    expect(Object.keys(cookie.options)).toEqual(['path', 'maxAge', 'expires', 'httpOnly', 'secure', 'sameSite']);
    expect(serializeCookie(cookie)).toBe('session=TOKEN; Path=/; Max-Age=1; Expires=Thu, 01 Jan 2026 00:00:01 GMT; HttpOnly; Secure; SameSite=Strict');
  });

  it('gives a browser-session cookie neither maxAge nor expires', () => {
    const cookie = sessionCookie(options, 'TOKEN', null, now);
    expect(cookie.options).not.toHaveProperty('maxAge');
    expect(cookie.options).not.toHaveProperty('expires');
    expect(serializeCookie(cookie)).toBe('session=TOKEN; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax; Partitioned');
  });

  it("expires the cookie as SCS does: an empty value, Max-Age=0 and Expires Thu, 01 Jan 1970 00:00:01 GMT", () => {
    const cookie = expiredCookie(options);
    expect(cookie.value).toBe('');
    expect(cookie.options).toMatchObject({ maxAge: 0, expires: new Date(1000) });
    expect(serializeCookie(cookie)).toBe(
      'session=; Path=/; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:01 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned',
    );
  });
});
