/**
 * The SessionManager's options, checked once in its constructor.
 */
import { resolveCookieOptions, type ResolvedCookieOptions, type SessionCookieOptions } from './cookie.js';
import { jsonCodec, type SessionCodec } from './codec.js';

/**
 * Options of a {@link SessionManager}; every one has a default. Durations are milliseconds.
 *
 * @example
 * ```ts
 * new SessionManager(store, { lifetime: 7 * 24 * 3_600_000, idleTimeout: 2 * 3_600_000, cookie: { persist: false } });
 * ```
 */
export interface SessionManagerOptions<Data extends Record<string, unknown> = Record<string, unknown>> {
  /** How long a session lives from its creation (or last `renewToken`), however it is used. Default 24 hours. */
  lifetime?: number;
  /** A session not used for this long ends; 0 (the default) turns it off. */
  idleTimeout?: number;
  /**
   * With `idleTimeout`: how far the stored expiry may lag behind before an unmodified request
   * moves it (one write, one Set-Cookie). Default a tenth of `idleTimeout`, at most a minute;
   * 0 moves it on every request. A session may so end up to this much before `idleTimeout`.
   */
  touchAfter?: number;
  /** The session cookie's attributes. */
  cookie?: SessionCookieOptions;
  /** How session records become bytes. Default JSON that keeps `Date`s. */
  codec?: SessionCodec;
  /**
   * Told of what the manager answers on its own without failing the request: a stored
   * session it cannot read (the visitor gets a new one), a commit whose row was destroyed
   * meanwhile. Default: one line on stderr. Never given a token or session data.
   */
  onError?: (error: Error) => void;
  /** Tries a commit makes when other requests change the same session at once. Default 64. */
  maxCommitAttempts?: number;
  /**
   * Who a session belongs to, from its values, e.g. `(values) => values.userId`: written with
   * each commit that writes the row (`null` or `undefined` clears it), so that
   * `store.sessionsOf(owner)` and `store.deleteOwner(owner)` find it. Needs a table with an
   * owner column (`defineSessionsTable(name, { owner: true })`). Return a string: a number
   * is refused (`String(id)`). Default: none; commits leave the owner as it is.
   */
  ownerOf?: (values: Partial<Data>) => string | null | undefined;
}

/** The options with defaults filled in. */
export interface ResolvedManagerOptions {
  lifetime: number;
  idleTimeout: number;
  touchAfter: number;
  cookie: ResolvedCookieOptions;
  codec: SessionCodec;
  onError: (error: Error) => void;
  maxCommitAttempts: number;
  ownerOf: ((values: Record<string, unknown>) => string | null | undefined) | undefined;
}

const HOUR = 3_600_000;
/** 100 years: past that a duration is a mistake, and the expiry would leave the store's range. */
const MAX_DURATION = 100 * 365.25 * 24 * HOUR;
const KNOWN = ['lifetime', 'idleTimeout', 'touchAfter', 'cookie', 'codec', 'onError', 'maxCommitAttempts', 'ownerOf'];

function wholeNumber(name: string, value: unknown, fallback: number, least: number, most: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least || value > most) {
    const got = typeof value === 'string' ? `string ${JSON.stringify(value.slice(0, 60))}` : String(value);
    throw new RangeError(`drizzle-pgstore: ${name} must be a whole number of ${unit} from ${least} to ${most}, got ${got}`);
  }
  return value;
}

const duration = (name: string, value: unknown, fallback: number, least = 0) =>
  wholeNumber(name, value, fallback, least, MAX_DURATION, 'milliseconds');

/** Reports a problem the visitor never sees, in one line. */
const reportToStderr = (error: Error) => console.error(`drizzle-pgstore: ${error.message.replace(/^drizzle-pgstore: /, '')}`);

export function resolveManagerOptions<Data extends Record<string, unknown>>(
  options: SessionManagerOptions<Data> = {},
): ResolvedManagerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('drizzle-pgstore: SessionManager options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new TypeError(`drizzle-pgstore: SessionManager has no option "${key}"; they are ${KNOWN.join(', ')}`);
  }
  const lifetime = duration('lifetime', options.lifetime, 24 * HOUR, 1);
  const idleTimeout = duration('idleTimeout', options.idleTimeout, 0);
  const touchAfter = duration('touchAfter', options.touchAfter, Math.min(Math.floor(idleTimeout / 10), 60_000));
  if (idleTimeout > 0 && touchAfter >= idleTimeout) {
    throw new RangeError('drizzle-pgstore: touchAfter must be less than idleTimeout, or a session could end while in use');
  }
  const codec = options.codec ?? jsonCodec;
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new TypeError('drizzle-pgstore: codec must have encode(record) and decode(bytes) functions');
  }
  const onError = options.onError ?? reportToStderr;
  if (typeof onError !== 'function') throw new TypeError('drizzle-pgstore: onError must be a function');
  const maxCommitAttempts = wholeNumber('maxCommitAttempts', options.maxCommitAttempts, 64, 1, 10_000, 'tries');
  const ownerOf = options.ownerOf as ResolvedManagerOptions['ownerOf'];
  if (ownerOf !== undefined && typeof ownerOf !== 'function') throw new TypeError('drizzle-pgstore: ownerOf must be a function');
  return { lifetime, idleTimeout, touchAfter, cookie: resolveCookieOptions(options.cookie), codec, onError, maxCommitAttempts, ownerOf };
}
