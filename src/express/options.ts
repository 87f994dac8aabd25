/**
 * Options of the express-session adapter, checked once in the constructor so that a
 * mistake fails at start-up, not on the first request.
 */
import type { SessionData } from 'express-session';
import { oneLine } from '../error-text.js';
import { checkBoolean, checkFunction, checkOptionNames, checkRange, describeValue, type NumberRange } from '../input.js';
import type { Owner } from '../session-store.js';

/**
 * Turns a session into text and back. The text is stored as UTF-8 bytes in `data`.
 *
 * @example
 * ```ts
 * import superjson from 'superjson';
 * const serializer: SessionSerializer = { stringify: superjson.stringify, parse: superjson.parse };
 * ```
 */
export interface SessionSerializer {
  stringify(session: SessionData): string;
  parse(text: string): SessionData;
}

/** Options of an {@link ExpressSessionStore}; every one has a default. */
export interface ExpressSessionStoreOptions {
  /**
   * Lifetime in seconds of a session whose cookie has no expiry (no `maxAge`), or a
   * function of the session that gives it. Default 86400 (one day); at least 1 (a lifetime
   * of 0 would end every session as it is saved) and at most 100 years (3155760000), so that
   * every expiry stays within what the store can save. A cookie with `maxAge` decides its
   * session's expiry itself: `ttl` is then not used.
   */
  ttl?: number | ((session: SessionData) => number);
  /**
   * Seconds a `touch` may move the stored expiry without writing the row. Default 60, but
   * never more than a tenth of the session's remaining lifetime, so short sessions still
   * slide, which also makes a `touchAfter` longer than the lifetime mean "a tenth of it".
   * 0 writes on every touch that changes the expiry. At most 100 years (3155760000). Refused
   * together with `disableTouch: true`, which leaves it nothing to do.
   */
  touchAfter?: number;
  /** Makes `touch` do nothing: an unmodified session keeps the expiry it was saved with. Default false. */
  disableTouch?: boolean;
  /**
   * How many times a `set` tries to write a session that other requests keep changing
   * (each try after the first plays this request's changes onto the row as it is then).
   * Past it, `set` rejects with a `SessionConflictError`. Default 64; from 1 to 10000.
   */
  maxCommitAttempts?: number;
  /** How sessions become text and back. Default `JSON`. */
  serializer?: SessionSerializer;
  /**
   * Told when `get` finds a row that is not a session it can read: not UTF-8, `parse` threw
   * or gave no object, or the object has no `cookie` object (as the rows of another adapter
   * sharing the table). `get` answers "no session" and leaves the row as it is; `all()` and
   * `sessionsOf()` leave such rows out without a call. The error names the reason and quotes
   * nothing of the row (a SyntaxError when the text is not JSON). Default: one line on stderr.
   */
  onUnreadable?: (sid: string, error: unknown) => void;
  /**
   * Told when a `set` drops a change because the session it changed was ended meanwhile by
   * another request (`destroy`, `deleteOwner`, expiry): the session stays ended, the response
   * goes out, and the next request on that cookie gets a new session. The error is a
   * `SessionConflictError` that names no session. Default: one line on stderr.
   */
  onError?: (error: Error) => void;
  /**
   * Who a session belongs to, e.g. `(session) => session.userId`, written with every save
   * (`null` or `undefined` clears it), so that `store.sessionsOf(owner)` and
   * `store.deleteOwner(owner)` find it. Needs a table with an owner column
   * (`defineSessionsTable(name, { owner: true })`). A whole number (a numeric user id) is kept as its decimal text.
   * Default: none; saves leave the owner as it is.
   */
  ownerOf?: (session: SessionData) => Owner | null | undefined;
}

/** Every option an ExpressSessionStore takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({
  ttl: true,
  touchAfter: true,
  disableTouch: true,
  maxCommitAttempts: true,
  serializer: true,
  onUnreadable: true,
  onError: true,
  ownerOf: true,
} satisfies Record<keyof ExpressSessionStoreOptions, true>);

/** How the error of an unreadable session begins. */
export const UNREADABLE = 'drizzle-pgstore: a stored session could not be read: ';

/** The options with defaults filled in and every value checked. */
export interface ResolvedExpressOptions {
  /** Lifetime in milliseconds of a session whose cookie has no expiry. */
  ttlMs(session: SessionData): number;
  touchAfterMs: number;
  disableTouch: boolean;
  maxCommitAttempts: number;
  serializer: SessionSerializer;
  onUnreadable: (sid: string, error: unknown) => void;
  onError: (error: Error) => void;
  ownerOf: ((session: SessionData) => Owner | null | undefined) | undefined;
}

/** The default `ttl`: one day, in seconds. */
const DEFAULT_TTL_SECONDS = 86_400;

/** The default `touchAfter`: one minute, in seconds. */
const DEFAULT_TOUCH_AFTER_SECONDS = 60;

/** The default `onUnreadable`: one line on stderr, naming no session id (it is a credential). */
function reportUnreadableSession(_sid: string, error: unknown): void {
  const text = oneLine(error);
  console.error(`${text.startsWith(UNREADABLE) ? '' : UNREADABLE}${text}; the row was left as it is`);
}

/** The default `onError`: the error's one line on stderr (it names no session). */
function reportError(error: Error): void {
  console.error(oneLine(error));
}

/**
 * Longest `ttl` and `touchAfter`, in seconds: 100 years of 365.25 days. The store saves
 * expiries up to 9999-12-31; with this cap, now plus `ttl` stays far inside that, so a
 * value no session wants (`Date.now()` given as a lifetime, say) fails here, not in every `set`.
 */
const MAX_SECONDS = 3_155_760_000;

/** What `touchAfter` takes. */
const SECONDS: NumberRange = { min: 0, max: MAX_SECONDS, integer: false, unit: 'seconds', note: '100 years' };

/** What `ttl` takes: a lifetime of 0 would end each session as it is saved. */
const LIFETIME: NumberRange = { ...SECONDS, min: 1 };

/** What `maxCommitAttempts` takes. */
const ATTEMPTS: NumberRange = { min: 1, max: 10_000, unit: 'tries' };

export function resolveExpressOptions(options: ExpressSessionStoreOptions): ResolvedExpressOptions {
  checkOptionNames('ExpressSessionStore', options, OPTION_NAMES);
  const { ttl = DEFAULT_TTL_SECONDS, touchAfter = DEFAULT_TOUCH_AFTER_SECONDS, disableTouch = false, maxCommitAttempts = 64 } = options;
  let ttlMs: ResolvedExpressOptions['ttlMs'];
  if (typeof ttl === 'function') {
    ttlMs = (session) => {
      const seconds = ttl(session);
      checkRange('ttl()', seconds, LIFETIME);
      return seconds * 1000;
    };
  } else {
    checkRange('ttl', ttl, LIFETIME);
    ttlMs = () => ttl * 1000;
  }
  checkRange('touchAfter', touchAfter, SECONDS);
  checkBoolean('disableTouch', disableTouch);
  if (disableTouch && options.touchAfter !== undefined) {
    throw new TypeError('drizzle-pgstore: touchAfter has no effect with disableTouch: true (touch then never writes); give one or the other');
  }
  checkRange('maxCommitAttempts', maxCommitAttempts, ATTEMPTS);
  const serializer = options.serializer ?? JSON;
  if (typeof serializer?.stringify !== 'function' || typeof serializer.parse !== 'function') {
    throw new TypeError(
      `drizzle-pgstore: serializer must have stringify(session) and parse(text) functions, got ${describeValue(serializer)}`,
    );
  }
  const onUnreadable = options.onUnreadable ?? reportUnreadableSession;
  checkFunction('onUnreadable', onUnreadable);
  const onError = options.onError ?? reportError;
  checkFunction('onError', onError);
  const { ownerOf } = options;
  if (ownerOf !== undefined) checkFunction('ownerOf', ownerOf);
  return { ttlMs, touchAfterMs: touchAfter * 1000, disableTouch, maxCommitAttempts, serializer, onUnreadable, onError, ownerOf };
}
