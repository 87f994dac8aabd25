/**
 * Tokens at rest: with `hashTokens`, the table keeps SHA-256 of each token, so whoever
 * can read the table (a backup, a replica, a support query) holds no usable session.
 * A session token is already 128+ random bits, so a plain hash is enough; a salt or a
 * slow hash would only protect guessable secrets, which tokens are not.
 */

import { describeType } from './input.js';

const encoder = new TextEncoder();

/**
 * The key a token is stored under when `hashTokens` is on: SHA-256 of its UTF-8 bytes,
 * as 64 lowercase hex digits, through Web Crypto.
 *
 * @example
 * ```ts
 * // Look a session up by hand, in psql, from the token in a cookie:
 * console.log(await hashToken(token)); // then: SELECT * FROM sessions WHERE token = '<that>'
 * ```
 */
export async function hashToken(token: string): Promise<string> {
  // Without this, undefined would be encoded as '' and hashed like any token.
  if (typeof token !== 'string') throw new TypeError(`drizzle-pgstore: hashToken needs a string, got ${describeType(token)}`);
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(token));
  return Buffer.from(digest).toString('hex');
}
