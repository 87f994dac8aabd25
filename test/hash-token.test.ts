import { describe, expect, it } from 'vitest';
import { hashToken } from '../src/index.js';

// Computed apart from Node: printf %s TOKEN | openssl dgst -sha256 -binary | basenc --base64url
// (then the '=' padding dropped), as SCS's HashTokenInStore keys its rows.
const KNOWN_HASHES: Array<[token: string, hash: string]> = [
  ['', '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'],
  ['abc', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
  // A token as SCS makes them: 32 random bytes, base64url without padding.
  ['q3Jt7pW0b1xYzK9vR2sLmN4cE6uA8dH5fG0jT1iV3oQ', 'TazoUoGPYCigYK8wlPCFer-ginZK4V4D-Knu0rRoGvA'],
  ['sessión-ключ', 'X1Enf_fXOG9MvkUUWlqSzJuCDwcBmlhTBEvrPHo6hNM'],
];

describe('hashToken', () => {
  it.each(KNOWN_HASHES)('hashes %j as SCS does: SHA-256 of its UTF-8 bytes, base64url without padding', (token, hash) => {
    expect(hashToken(token)).toBe(hash);
  });

  it('answers at once, not with a promise', () => {
    expect(typeof hashToken('abc')).toBe('string');
  });
});
