import { expect, it } from 'vitest';
import { isTokenShaped, newToken } from '../../src/manager/token.js';

it('makes tokens of 32 random bytes in base64url without padding, each new', () => {
  const tokens = Array.from({ length: 1000 }, newToken);
  for (const token of tokens) {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(isTokenShaped(token)).toBe(true);
  }
  expect(new Set(tokens).size).toBe(tokens.length);
});

it('takes nothing else for a token', () => {
  for (const value of ['', 'short', `${newToken()}=`, `${newToken()}x`, `${newToken().slice(1)}+`, 'a'.repeat(4096)]) {
    expect(isTokenShaped(value)).toBe(false);
  }
});
