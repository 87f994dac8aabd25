import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/*
 * The demo's defence against forged form posts (CSRF). SameSite=Lax on the session cookie
 * is not enough alone: a sibling site (another port or subdomain) counts as the same site,
 * and a forged sign-in needs no cookie at all. So there are two locks on every post:
 * - the browser's own word: a request that says it came from another origin is refused
 *   before its session is even loaded (`crossOriginReason`);
 * - a token in the form: a signed-in visitor's forms carry one kept in their session
 *   (`newFormToken`); the sign-in form, shown before there is a session, carries a signed
 *   double-submit cookie instead (`SignInTokens`).
 */

/** The hidden field that carries a form's token. */
export const formTokenField = 'csrf';

// Reading a page changes nothing; every other method is a form post, or worse.
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request that would change something must be refused as coming from another origin,
 * or undefined when the browser says it is our own: `Sec-Fetch-Site` is `same-origin` or
 * `none` (the user's own doing), and `Origin`, if sent, is ours. A request with neither
 * header is not from a browser that would carry a victim's cookies.
 */
export function crossOriginReason(req: Request): string | undefined {
  if (safeMethods.has(req.method)) return undefined;
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${JSON.stringify(site)}`;
  const origin = req.get('origin');
  if (origin !== undefined && !isOwnOrigin(origin, req)) return `Origin ${JSON.stringify(origin)} is not this site's`;
  return undefined;
}

/** Whether `origin` is the one the request was sent to (behind a trusted proxy, its public one). */
function isOwnOrigin(origin: string, req: Request): boolean {
  try {
    return new URL(origin).origin === new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return false; // `null` (a sandboxed or privacy-minded sender), or no Host at all
  }
}

/** A new synchronizer token: 32 random bytes, base64url, kept in the session it guards. */
export function newFormToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether a form sent back `expected`, compared in constant time so the answer's timing
 * does not tell an attacker how much of a guess was right.
 */
export function isExpectedToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // timingSafeEqual wants equal lengths; a token's length is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}

/*
 * Why the sign-in form's token is not kept in a session: without a token any page on the
 * web could sign a visitor in under a name of its choosing (login CSRF), and a session for
 * every passer-by who sees the form is a row for every passer-by. A signed double-submit
 * cookie costs no row:
 * - the cookie holds a random nonce: HttpOnly, SameSite=Strict, and on HTTPS named with the
 *   `__Host-` prefix, which only this host can set, over HTTPS, for the whole site;
 * - the form's field holds an HMAC of that nonce under a key derived from the session
 *   secret, so a field cannot be made for a cookie without the secret.
 * Another site can neither read nor write this site's cookies, so it cannot make a matching
 * pair. One who can write them (a sibling subdomain, plain HTTP on the way) could plant a
 * pair fetched for themselves: the `__Host-` prefix and the Origin check close that door.
 */
const nonceFormat = /^[A-Za-z0-9_-]{43}$/;
// Long enough to fill in a form after a coffee; each view of the form starts it again.
const nonceLifetimeMs = 2 * 3_600_000;

/** Hands out and checks the sign-in form's tokens. */
export class SignInTokens {
  readonly #key: Buffer;

  constructor(secret: string) {
    // A key of its own, so no token can double as a session cookie's signature, nor one as it.
    this.#key = Buffer.from(hkdfSync('sha256', secret, '', 'drizzle-pgstore demo: sign-in form', 32));
  }

  /** The token for a sign-in form sent on `res`, with the visitor's nonce cookie set or renewed. */
  issue(req: Request, res: Response): string {
    const nonce = this.#nonce(req) ?? randomBytes(32).toString('base64url');
    const options = { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: nonceLifetimeMs } as const;
    res.cookie(nonceCookieName(req), nonce, options);
    return this.#sign(nonce);
  }

  /** Whether `given` is the token issued for the nonce in the request's cookie. */
  verify(req: Request, given: unknown): boolean {
    const nonce = this.#nonce(req);
    return nonce !== undefined && isExpectedToken(this.#sign(nonce), given);
  }

  #nonce(req: Request): string | undefined {
    const nonce = readCookie(req, nonceCookieName(req));
    return nonce !== undefined && nonceFormat.test(nonce) ? nonce : undefined;
  }

  #sign(nonce: string): string {
    return createHmac('sha256', this.#key).update(nonce).digest('base64url');
  }
}

/** The nonce cookie's name: with the `__Host-` prefix wherever the browser will honour it. */
const nonceCookieName = (req: Request) => (req.secure ? '__Host-demo.csrf' : 'demo.csrf');

/** The value of one cookie of the request; express parses no cookies by itself. */
function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
