/**
 * The SessionManager's options, checked once in its constructor.
 */
import { resolveCookieOptions, type ResolvedCookieOptions, type SessionCookieOptions } from './cookie.js';
import { jsonCodec, type SessionCodec } from './codec.js';
import { checkFunction, checkOptionNames, checkRange } from '../input.js';
import type { Owner } from '../session-store.js';

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
  /** A session not used for this long ends; 0 (the default) turns it off. At most `lifetime`. */
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
   * owner column (`defineSessionsTable(name, { owner: true })`). A whole number (a numeric
   * user id) is kept as its decimal text. Default: none; commits leave the owner as it is.
   */
  ownerOf?: (values: Partial<Data>) => Owner | null | undefined;
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
  ownerOf: ((values: Record<string, unknown>) => Owner | null | undefined) | undefined;
}

const HOUR = 3_600_000;
/** 100 years: past that a duration is a mistake, and the expiry would leave the store's range. */
const MAX_DURATION = 100 * 365.25 * 24 * HOUR;

/** Every option a SessionManager takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({
  lifetime: true,
  idleTimeout: true,
  touchAfter: true,
  cookie: true,
  codec: true,
  onError: true,
  maxCommitAttempts: true,
  ownerOf: true,
} satisfies Record<keyof SessionManagerOptions, true>);

/** A duration option in milliseconds, checked as every number option of the package is. */
function duration(name: string, value: number | undefined, fallback: number, min = 0): number {
  const ms = value ?? fallback;
  checkRange(name, ms, { min, max: MAX_DURATION, unit: 'milliseconds', note: '100 years' });
  return ms;
}

/** Reports a problem the visitor never sees, in one line. */
const reportToStderr = (error: Error) => console.error(`drizzle-pgstore: ${error.message.replace(/^drizzle-pgstore: /, '')}`);

export function resolveManagerOptions<Data extends Record<string, unknown>>(
  options: SessionManagerOptions<Data> = {},
): ResolvedManagerOptions {
  checkOptionNames('SessionManager', options, OPTION_NAMES);
  const lifetime = duration('lifetime', options.lifetime, 24 * HOUR, 1);
  const idleTimeout = duration('idleTimeout', options.idleTimeout, 0);
  // A session ends at its lifetime however it is used: a longer idle timeout could never end
  // one, and is a sign the two were swapped or the lifetime left at its default by mistake.
  if (idleTimeout > lifetime) {
    throw new RangeError(
      `drizzle-pgstore: idleTimeout (${idleTimeout} ms) is longer than lifetime (${lifetime} ms${options.lifetime === undefined ? ', the default' : ''}), so it would never end a session; raise lifetime or lower idleTimeout`,
    );
  }
  const touchAfter = duration('touchAfter', options.touchAfter, Math.min(Math.floor(idleTimeout / 10), 60_000));
  if (idleTimeout > 0 && touchAfter >= idleTimeout) {
    throw new RangeError('drizzle-pgstore: touchAfter must be less than idleTimeout, or a session could end while in use');
  }
  const codec = options.codec ?? jsonCodec;
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new TypeError('drizzle-pgstore: codec must have encode(record) and decode(bytes) functions');
  }
  const onError = options.onError ?? reportToStderr;
  checkFunction('onError', onError);
  const maxCommitAttempts = options.maxCommitAttempts ?? 64;
  checkRange('maxCommitAttempts', maxCommitAttempts, { min: 1, max: 10_000, unit: 'tries' });
  const ownerOf = options.ownerOf as ResolvedManagerOptions['ownerOf'];
  if (ownerOf !== undefined) checkFunction('ownerOf', ownerOf);
  return { lifetime, idleTimeout, touchAfter, cookie: resolveCookieOptions(options.cookie), codec, onError, maxCommitAttempts, ownerOf };
}
