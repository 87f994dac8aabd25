/**
 * The session cookie: its options, reading it from a request, writing it to a response.
 */

/**
 * Attributes of the session cookie; every one has a default.
 *
 * @example
 * ```ts
 * new SessionManager(store, { cookie: { name: '__Host-session', sameSite: 'strict' } });
 * ```
 */
export interface SessionCookieOptions {
  /** Default `session`. Letters, digits and ``!#$%&'*+-.^_`|~`` only (an RFC 6265 token). */
  name?: string;
  /** Default none: the cookie goes back to the host that set it, and to no other. */
  domain?: string;
  /** Default `/`. */
  path?: string;
  /** Default true: page scripts cannot read the token. */
  httpOnly?: boolean;
  /** Default true: sent over HTTPS only (browsers also accept it from http://localhost). */
  secure?: boolean;
  /** Default `lax`. `none` needs `secure`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Default false. CHIPS: a cookie kept per top-level site; needs `secure`. */
  partitioned?: boolean;
  /**
   * Default true: the cookie carries `Max-Age` and `Expires`, so it outlives the browser.
   * False makes browser-session cookies unless a session calls `rememberMe(true)`.
   */
  persist?: boolean;
}

/** The cookie options with defaults filled in and every value checked. */
export type ResolvedCookieOptions = Required<Omit<SessionCookieOptions, 'domain'>> & { domain: string | undefined };

const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DOMAIN_CHARS = /^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
// A path attribute ends at ';', and control characters have no place in a header.
const PATH_CHARS = /^\/[^;\x00-\x1f\x7f]*$/;
const SAME_SITE = ['lax', 'strict', 'none'] as const;
const KNOWN = ['name', 'domain', 'path', 'httpOnly', 'secure', 'sameSite', 'partitioned', 'persist'];

function fail(message: string): never {
  throw new TypeError(`drizzle-pgstore: cookie.${message}`);
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

function text(name: string, value: unknown, shape: RegExp, fallback: string | undefined, what: string): string | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !shape.test(value)) fail(`${name} must be ${what}, got ${JSON.stringify(value)?.slice(0, 60)}`);
  return value;
}

/** Checks the cookie options and fills in the defaults. */
export function resolveCookieOptions(options: SessionCookieOptions = {}): ResolvedCookieOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) fail(`${key} is not a cookie option; they are ${KNOWN.join(', ')}`);
  }
  const sameSite = options.sameSite ?? 'lax';
  if (!SAME_SITE.includes(sameSite)) fail(`sameSite must be 'lax', 'strict' or 'none', got ${JSON.stringify(sameSite)}`);
  const resolved: ResolvedCookieOptions = {
    name: text('name', options.name, TOKEN_CHARS, 'session', "a cookie name (letters, digits and !#$%&'*+-.^_`|~)")!,
    domain: text('domain', options.domain, DOMAIN_CHARS, undefined, 'a host name'),
    path: text('path', options.path, PATH_CHARS, '/', "a path starting with '/', without ';'")!,
    httpOnly: boolean('httpOnly', options.httpOnly, true),
    secure: boolean('secure', options.secure, true),
    sameSite,
    partitioned: boolean('partitioned', options.partitioned, false),
    persist: boolean('persist', options.persist, true),
  };
  // Browsers drop both of these without Secure, and the session would silently never stick.
  if (resolved.sameSite === 'none' && !resolved.secure) fail("sameSite 'none' needs secure: true");
  if (resolved.partitioned && !resolved.secure) fail('partitioned needs secure: true');
  if (resolved.name.startsWith('__Host-') && (!resolved.secure || resolved.domain !== undefined || resolved.path !== '/')) {
    fail("name with the __Host- prefix needs secure: true, no domain and path '/'");
  }
  if (resolved.name.startsWith('__Secure-') && !resolved.secure) fail('name with the __Secure- prefix needs secure: true');
  return resolved;
}

/** The value of the first cookie called `name` in a `Cookie` header, as a browser sends it first. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at !== -1 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The attributes of a cookie to set, in the shape the frameworks' cookie setters take:
 * Next.js `cookies().set(name, value, options)`, SvelteKit `cookies.set`, Astro
 * `cookies.set`, h3 `setCookie(event, name, value, options)`.
 */
export interface SessionCookieAttributes {
  path: string;
  /** Absent: the cookie goes back only to the host that set it. */
  domain?: string;
  /** Seconds the browser keeps the cookie. Absent (with `expires`) for a browser-session cookie. */
  maxAge?: number;
  /** When the browser drops the cookie, for clients that ignore `maxAge`. */
  expires?: Date;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none';
  /** Present (true) only for a partitioned (CHIPS) cookie. */
  partitioned?: boolean;
}

/**
 * A cookie a commit needs set, as `SessionManager.commitCookie` gives it. A destroyed
 * session's cookie is expired: value `''`, `maxAge: 0`, `expires` 1 January 1970 00:00:01 UTC.
 *
 * @example
 * ```ts
 * const cookie = await manager.commitCookie(session);
 * if (cookie) (await cookies()).set(cookie.name, cookie.value, cookie.options);
 * ```
 */
export interface SessionCookie {
  name: string;
  value: string;
  options: SessionCookieAttributes;
}

/**
 * The session cookie for `token`. `expiry` makes a persistent cookie (`maxAge` and
 * `expires`); null a browser-session one. `now` is when the response is made.
 */
export function sessionCookie(options: ResolvedCookieOptions, token: string, expiry: Date | null, now: number): SessionCookie {
  const attributes: SessionCookieAttributes = {
    path: options.path,
    ...(options.domain !== undefined && { domain: options.domain }),
    // Rounded up, so the cookie never dies before the session does.
    ...(expiry !== null && { maxAge: Math.max(0, Math.ceil((expiry.getTime() - now) / 1000)), expires: new Date(expiry) }),
    httpOnly: options.httpOnly,
    secure: options.secure,
    sameSite: options.sameSite,
    ...(options.partitioned && { partitioned: true }),
  };
  return { name: options.name, value: token, options: attributes };
}

/** The earliest `Expires` SCS writes to forget a cookie: Thu, 01 Jan 1970 00:00:01 GMT. */
const LONG_AGO = 1000;

/** A cookie that makes the browser forget the session cookie. */
export function expiredCookie(options: ResolvedCookieOptions): SessionCookie {
  const cookie = sessionCookie(options, '', new Date(LONG_AGO), LONG_AGO);
  cookie.options.maxAge = 0;
  return cookie;
}

/** The `Set-Cookie` header value of `cookie`. */
export function serializeCookie({ name, value, options }: SessionCookie): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`];
  if (options.domain !== undefined) parts.push(`Domain=${options.domain}`);
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.expires !== undefined) parts.push(`Expires=${options.expires.toUTCString()}`);
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite[0]!.toUpperCase()}${options.sameSite.slice(1)}`);
  if (options.partitioned) parts.push('Partitioned');
  return parts.join('; ');
}
