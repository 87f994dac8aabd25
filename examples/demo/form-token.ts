import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The hidden field that carries a form's anti-forgery token. */
export const formTokenField = 'csrf';

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
