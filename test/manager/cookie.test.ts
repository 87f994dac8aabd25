import { describe, expect, it } from 'vitest';
import { expiredCookie, readCookie, resolveCookieOptions, sessionCookie } from '../../src/manager/cookie.js';

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

  it('gives a persistent cookie Max-Age, rounded up, and Expires', () => {
    expect(sessionCookie(options, 'TOKEN', new Date(now + 1500), now)).toBe(
      'session=TOKEN; Path=/; Domain=example.com; Max-Age=2; Expires=Thu, 01 Jan 2026 00:00:01 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned',
    );
  });

  it('gives a browser-session cookie neither', () => {
    expect(sessionCookie(options, 'TOKEN', null, now)).toBe('session=TOKEN; Path=/; Domain=example.com; HttpOnly; Secure; SameSite=Lax; Partitioned');
  });

  it('expires the cookie with an empty value, Max-Age=0 and an Expires in the past', () => {
    expect(expiredCookie(options)).toBe(
      'session=; Path=/; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax; Partitioned',
    );
  });
});
