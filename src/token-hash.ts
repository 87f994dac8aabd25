/**
 * Tokens at rest: with `hashTokens`, the table keeps SHA-256 of each token, so whoever
 * can read the table (a backup, a replica, a support query) holds no usable session.
 * A session token is already 128+ random bits, so a plain hash is enough; a salt or a
 * slow hash would only protect guessable secrets, which tokens are not.
 */
import { createHash } from 'node:crypto';
import { describeType } from './input.js';

/**
 * The key a token is stored under when `hashTokens` is on: SHA-256 of its UTF-8 bytes, as
 * base64url without padding (43 characters), the key SCS's `HashTokenInStore` gives a row,
 * so Go and Node services can share one hashed table.
 *
 * @example
 * ```ts
 * // Look a session up by hand, in psql, from the token in a cookie:
 * console.log(hashToken(token)); // then: SELECT * FROM sessions WHERE token = '<that>'
 * ```
 */
export function hashToken(token: string): string {
  // Node would hash a Buffer's bytes as if they were a token, and refuse undefined in its own words.
  if (typeof token !== 'string') throw new TypeError(`drizzle-pgstore: hashToken needs a string, got ${describeType(token)}`);
  // Node's base64url has no padding.
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
