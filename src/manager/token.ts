/**
 * Session tokens as SCS makes them: 32 random bytes from Web Crypto, base64url without
 * padding, so 43 characters. A cookie value of any other shape was not made here, and is
 * answered with a new session without asking the database.
 */

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new, unguessable session token. */
export function newToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES))).toString('base64url');
}

/** Whether a cookie value could be a token this manager made. */
export const isTokenShaped = (value: string): boolean => TOKEN_SHAPE.test(value);
