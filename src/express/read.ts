/**
 * Reading a row as an express-session session: what a row of this adapter looks like, and why
 * one is not one (another adapter's row in a shared table, or damaged bytes).
 */
import type { SessionData } from 'express-session';
import { UNREADABLE, type SessionSerializer } from './options.js';

// fatal: bytes that are not UTF-8 make the row unreadable rather than silently mangled.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What a value is, with its article, for a reason that must not quote session data. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const kind = Array.isArray(value) ? 'array' : typeof value;
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** The class of a parse error, kept so that `instanceof SyntaxError` still means "not JSON". */
const classOf = (error: unknown): ErrorConstructor =>
  [SyntaxError, TypeError, RangeError].find((kind) => error instanceof kind) ?? Error;

/**
 * Why a row is unreadable, as an error that names the reason and quotes nothing of the
 * row: V8's SyntaxError quotes the text it could not parse, and that text is the session.
 */
const unreadable = (reason: string, Kind: ErrorConstructor = TypeError) => new Kind(`${UNREADABLE}${reason}`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The session in a row, or the reason it is not one this adapter can use. A row of this
 * adapter is what `serializer.parse` turns into an object with a `cookie` object: every row
 * `set` writes is one, and the SessionManager's and React Router's rows are not (they have no
 * `cookie`), so a shared table's other rows are recognised here as not ours.
 */
export function readSession(bytes: Uint8Array, serializer: SessionSerializer): SessionData | Error {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return unreadable('its bytes are not UTF-8');
  }
  let data: unknown;
  try {
    data = serializer.parse(text);
  } catch (error) {
    const isJson = serializer === JSON && error instanceof SyntaxError;
    const reason = isJson ? 'it is not valid JSON' : `serializer.parse threw ${error instanceof Error ? error.name : kindOf(error)}`;
    return unreadable(reason, classOf(error));
  }
  if (!isObject(data)) return unreadable(`it parsed to ${kindOf(data)}, not an object`);
  // express-session and @fastify/session read `cookie.expires` of every session they load.
  const { cookie } = data;
  if (cookie === undefined) return unreadable('it has no cookie');
  if (!isObject(cookie)) return unreadable(`its cookie is ${kindOf(cookie)}, not an object`);
  // express-session resets maxAge from originalMaxAge on every touch, and throws (after the
  // response has begun, so the request hangs) when it is not a number.
  const { originalMaxAge } = cookie;
  if (originalMaxAge !== undefined && originalMaxAge !== null && typeof originalMaxAge !== 'number') {
    return unreadable(`its cookie's originalMaxAge is ${kindOf(originalMaxAge)}, not a number`);
  }
  return data as unknown as SessionData;
}
