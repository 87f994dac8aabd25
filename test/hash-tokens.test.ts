import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, PGStore } from '../src/index.js';
import { openNodePostgres, openPglite, type Backend, type OpenBackend } from './support/backends.js';
import { sameBytes } from './support/sql.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const inOneHour = () => new Date(Date.now() + 3_600_000);

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

describe.each([
  ['PGlite', openPglite],
  ['node-postgres', openNodePostgres],
] as Array<[string, OpenBackend]>)('hashTokens on %s', (_name, open) => {
  let backend: Backend;
  let store: PGStore;
  beforeAll(async () => {
    backend = await open();
    store = new PGStore(backend.db, { cleanupInterval: 0, hashTokens: true });
  });
  afterAll(async () => {
    await store?.close();
    await backend?.close();
  });

  // Tokens as apps make them: random, URL-safe, and one with non-ASCII text.
  const tokens = Array.from({ length: 20 }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'));
  tokens.push('sessión-ключ');

  it('keeps no raw token anywhere in the table, only its hash', async () => {
    for (const token of tokens) await store.save(token, bytes(`data of session ${tokens.indexOf(token)}`), inOneHour());
    const rows = await backend.query<{ row: string; token: string }>('SELECT s::text AS row, token FROM sessions s');
    expect(rows).toHaveLength(tokens.length);
    for (const { row } of rows) {
      for (const token of tokens) expect(row).not.toContain(token);
    }
    const expected = tokens.map(hashToken);
    expect(rows.map((r) => r.token).sort()).toEqual(expected.sort());
  });

  it('finds, touches and deletes by the raw token as before', async () => {
    const [token] = tokens as [string];
    expect(sameBytes(await store.find(token), bytes('data of session 0'))).toBe(true);
    expect(await store.touch(token, new Date(Date.now() + 7_200_000))).toBe(true);
    await store.save(token, bytes('changed'), inOneHour());
    expect(sameBytes(await store.find(token), bytes('changed'))).toBe(true);
    expect(await store.find(hashToken(token))).toBeNull();
    await store.delete(token);
    expect(await store.find(token)).toBeNull();
  });

  it('gives hashes from all() and tokens(), and counts the same rows', async () => {
    const live = tokens.slice(1);
    const hashes = live.map(hashToken).sort();
    expect([...(await store.all()).keys()].sort()).toEqual(hashes);
    expect((await store.tokens()).sort()).toEqual(hashes);
    expect(await store.count()).toBe(live.length);
  });

  it('does not share sessions with a store that does not hash: turning it on signs everyone out', async () => {
    const plain = new PGStore(backend.db, { cleanupInterval: 0 });
    try {
      await plain.save('plain-token', bytes('p'), inOneHour());
      expect(await store.find('plain-token')).toBeNull();
      expect(await plain.find(tokens[1]!)).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('finds no session stored under the hex hash of earlier versions, until one UPDATE rewrites those keys', async () => {
    const token = 'q3Jt7pW0b1xYzK9vR2sLmN4cE6uA8dH5fG0jT1iV3oQ';
    const hex = createHash('sha256').update(token, 'utf8').digest('hex');
    await backend.query(`INSERT INTO sessions VALUES ($1, '\\x01', current_timestamp + interval '1 hour')`, [hex]);
    expect(await store.find(token)).toBeNull();
    // The statement for tables hashed before: hex to base64url without padding, in SQL.
    await backend.query(
      `UPDATE sessions SET token = rtrim(translate(encode(decode(token, 'hex'), 'base64'), '+/', '-_'), '=')
       WHERE token ~ '^[0-9a-f]{64}$'`,
    );
    expect(sameBytes(await store.find(token), new Uint8Array([1]))).toBe(true);
    await store.delete(token);
  });

  it('refuses a bad hashTokens option', () => {
    expect(() => new PGStore(backend.db, { hashTokens: 'yes' as never })).toThrow(/hashTokens must be a boolean/);
  });
});
