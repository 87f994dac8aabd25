import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { isExpectedToken } from './form-token.js';

/*
 * Why the sign-in form has a token of its own, and why it is not kept in a session.
 * Without a token any page on the web could sign a visitor in under a name of its choosing
 * (login CSRF). A synchronizer token needs a session to live in, and a session for every
 * passer-by is a row for every passer-by. So the sign-in form uses a signed double-submit
 * cookie, which costs no row:
 * - the cookie holds a random nonce: HttpOnly, SameSite=Strict, and on HTTPS named with the
 *   `__Host-` prefix, which only this host can set, over HTTPS, for the whole site;
 * - the form's hidden field holds an HMAC of that nonce under a key derived from the session
 *   secret; a sign-in is taken only when the two agree.
 * Another site can neither read nor write this site's cookies, and a Strict cookie does not
 * even go along with its POST, so it cannot make a matching pair. The HMAC means a field
 * cannot be made for a cookie without the secret. What no double-submit cookie stops alone
 * is someone who can write this site's cookies (a sibling subdomain; plain HTTP on the way)
 * planting a pair they fetched for themselves: the `__Host-` prefix and the Origin check
 * (cross-origin.ts) close that door.
 */

const nonceBytes = 32;
const nonceFormat = /^[A-Za-z0-9_-]{43}$/;
// Long enough to fill in a form after a coffee; each view of the form starts it again.
const lifetimeMs = 2 * 3_600_000;

/** The nonce cookie's name: with the `__Host-` prefix wherever the browser will honour it. */
const cookieNameFor = (secure: boolean) => (secure ? '__Host-demo.csrf' : 'demo.csrf');

/** The value of one cookie of the request; express parses no cookies by itself. */
function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** Hands out and checks the sign-in form's tokens. */
export class SignInTokens {
  readonly #key: Buffer;

  constructor(secret: string) {
    // A key of its own, so no token can double as a session cookie's signature, nor one as it.
    this.#key = Buffer.from(hkdfSync('sha256', secret, '', 'drizzle-pgstore demo: sign-in form', 32));
  }

  /** The token for a sign-in form sent on `res`, with the visitor's nonce cookie set or renewed. */
  issue(req: Request, res: Response): string {
    const nonce = this.#nonce(req) ?? randomBytes(nonceBytes).toString('base64url');
    res.cookie(cookieNameFor(req.secure), nonce, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: lifetimeMs,
    });
    return this.#sign(nonce);
  }

  /** Whether `given` is the token issued for the nonce in the request's cookie. */
  verify(req: Request, given: unknown): boolean {
    const nonce = this.#nonce(req);
    return nonce !== undefined && isExpectedToken(this.#sign(nonce), given);
  }

  #nonce(req: Request): string | undefined {
    const nonce = readCookie(req, cookieNameFor(req.secure));
    return nonce !== undefined && nonceFormat.test(nonce) ? nonce : undefined;
  }

  #sign(nonce: string): string {
    return createHmac('sha256', this.#key).update(nonce).digest('base64url');
  }
}
