import { randomBytes } from 'node:crypto';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { defineSessionsTable, hashToken, PGStore, type PGStoreOptions } from '../src/index.js';
import { uniqueName } from './support/backends.js';
import { unreachableDatabase } from './support/unreachable-database.js';

// Messages that say what was wrong, checked once: the database is never reached.
describe('PGStore options and hashToken input', () => {
  const database = unreachableDatabase();
  afterAll(() => database.close());

  const make = (options: unknown) => () => new PGStore(database.db, { cleanupInterval: 0, ...(options as PGStoreOptions) });

  it('names the type and the value of a bad option, a string in quotes', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { cleanupInterval: '60000' },
        /^drizzle-pgstore: cleanupInterval must be a whole number of milliseconds from 0 to 2147483647, got string "60000"$/,
      ],
      [{ cleanupInterval: -1 }, /^drizzle-pgstore: cleanupInterval must be a whole number .*, got number -1$/],
      [{ cleanupInterval: Number.NaN }, /, got number NaN$/],
      [{ cleanupJitter: '0.1' }, /^drizzle-pgstore: cleanupJitter must be a number from 0 to 1, got string "0.1"$/],
      [{ cleanupJitter: Number.POSITIVE_INFINITY }, /^drizzle-pgstore: cleanupJitter must be a number from 0 to 1, got number Infinity$/],
      [{ cleanupBatchSize: 1.5 }, /^drizzle-pgstore: cleanupBatchSize must be a whole number .*, got number 1.5$/],
      [{ cleanupBatchSize: 0 }, /^drizzle-pgstore: cleanupBatchSize must be a whole number from 1 to 9007199254740991, got number 0$/],
      [{ maxDataBytes: true }, /^drizzle-pgstore: maxDataBytes must be a whole number of bytes from 1 to .*, got boolean true$/],
      [{ hashTokens: 'yes' }, /^drizzle-pgstore: hashTokens must be a boolean, got string "yes"$/],
      [{ preparedStatements: 0 }, /^drizzle-pgstore: preparedStatements must be a boolean, got number 0$/],
      [{ onError: 'console' }, /^drizzle-pgstore: onError must be a function, got string "console"$/],
      [{ cleanupInterval: 'x'.repeat(100) }, /, got string "x{60}…"$/],
    ];
    for (const [options, message] of cases) expect(make(options), JSON.stringify(options)).toThrow(message);
  });

  it('refuses limits that cannot be meant: a cleanup every few milliseconds, no data at all, more than a bytea holds', () => {
    expect(make({ cleanupInterval: 1 })).toThrow(
      /^drizzle-pgstore: cleanupInterval is 1 ms: a cleanup every few milliseconds cannot be meant; give at least 10 .*, or 0 to turn cleanup off$/,
    );
    expect(make({ cleanupInterval: 9 })).toThrow(/cleanupInterval is 9 ms/);
    // Stopped at once: the unreachable database would fail every run.
    void make({ cleanupInterval: 10 })().close();
    expect(make({ maxDataBytes: 0 })).toThrow(/^drizzle-pgstore: maxDataBytes must be a whole number of bytes from 1 to 1073741790 \(PostgreSQL keeps at most 1 GB in a bytea\), got number 0$/);
    expect(make({ maxDataBytes: 2 ** 30 })).toThrow(/maxDataBytes must be .*, got number 1073741824$/);
    expect(make({ maxDataBytes: 1 })).not.toThrow();
    expect(database.connectionAttempts).toBe(0);
  });

  it('takes encryption keys as bytes, base64 or base64url, and refuses bad ones without showing them', () => {
    const key = randomBytes(32);
    for (const form of [key, new Uint8Array(key), key.toString('base64'), key.toString('base64url'), key.toString('base64').replace(/=+$/, ''), ` ${key.toString('base64')}\n`]) {
      expect(make({ encryptionKeys: [form] })).not.toThrow();
    }
    const shortKey = randomBytes(16).toString('base64');
    const password = 'correct-horse-battery-staple-xyz';
    const cases: Array<[unknown, RegExp]> = [
      [[], /^drizzle-pgstore: encryptionKeys is empty; give at least one key/],
      [key.toString('base64'), /^drizzle-pgstore: encryptionKeys must be an array of keys, the current one first, got string$/],
      [[shortKey], /^drizzle-pgstore: encryptionKeys\[0\] is 16 bytes; an AES-256 key is 32 \(the key is not shown\); a string is read as base64, so a password is no key/],
      [[randomBytes(31)], /^drizzle-pgstore: encryptionKeys\[0\] is 31 bytes; an AES-256 key is 32 \(the key is not shown\)$/],
      [[key, password], /^drizzle-pgstore: encryptionKeys\[1\] is 24 bytes/],
      [[key, 'not base64!'], /^drizzle-pgstore: encryptionKeys\[1\] is not base64 or base64url text \(the key is not shown\)/],
      [[randomBytes(32), key, key.toString('base64url')], /^drizzle-pgstore: encryptionKeys\[2\] is the same key as encryptionKeys\[1\]; list each key once$/],
      [[42], /^drizzle-pgstore: encryptionKeys\[0\] must be 32 bytes \(a Uint8Array\) or their base64 text, got number$/],
    ];
    for (const [encryptionKeys, message] of cases) {
      let thrown: Error | undefined;
      try {
        make({ encryptionKeys })();
      } catch (error) {
        thrown = error as Error;
      }
      expect(thrown?.message, String(message)).toMatch(message);
      for (const secret of [shortKey, password, key.toString('base64'), key.toString('base64url'), key.toString('hex')]) {
        expect(`${thrown?.message}${thrown?.stack}`).not.toContain(secret);
      }
    }
    expect(database.connectionAttempts).toBe(0);
  });

  it('refuses readUnencrypted without encryptionKeys, and a readUnencrypted that is not a boolean', async () => {
    expect(make({ readUnencrypted: true })).toThrow(
      /^drizzle-pgstore: readUnencrypted is for turning encryption on, so it needs encryptionKeys; give the keys, or leave readUnencrypted out$/,
    );
    expect(make({ readUnencrypted: 'yes', encryptionKeys: [randomBytes(32)] })).toThrow(/^drizzle-pgstore: readUnencrypted must be a boolean, got string "yes"$/);
    const stores = [make({ readUnencrypted: false })(), make({ readUnencrypted: true, encryptionKeys: [randomBytes(32)] })()];
    await Promise.all(stores.map((store) => store.close()));
    expect(database.connectionAttempts).toBe(0);
  });

  it('refuses reencrypt on a store without keys, and bad reencrypt options', async () => {
    const plain = make({})();
    await expect(plain.reencrypt()).rejects.toThrow(/^drizzle-pgstore: reencrypt needs a store made with encryptionKeys$/);
    const keyed = make({ encryptionKeys: [randomBytes(32)] })();
    await expect(keyed.reencrypt({ batchSize: 0 })).rejects.toThrow(/^drizzle-pgstore: batchSize must be a whole number from 1 to 100000, got number 0$/);
    await expect(keyed.reencrypt({ batchsize: 5 } as never)).rejects.toThrow(/did you mean "batchSize"/);
    await Promise.all([plain.close(), keyed.close()]);
    expect(database.connectionAttempts).toBe(0);
  });

  it('refuses a table that is not a sessions table, naming table', () => {
    expect(make({ table: 'my_sessions' })).toThrow(
      /^drizzle-pgstore: table must be a sessions table from defineSessionsTable\(\) \(or sessions\), got string "my_sessions"$/,
    );
    expect(make({ table: { name: 'sessions' } })).toThrow(/^drizzle-pgstore: table must be .*, got object$/);
    expect(make({ table: pgTable('users', { id: text('id') }) })).toThrow(
      /^drizzle-pgstore: table must be .*, got a table without token, data and expiry columns$/,
    );
    expect(make({ table: defineSessionsTable(uniqueName('fine')) })).not.toThrow();
  });

  it('refuses an unknown option by name, with a hint when one known option is close', () => {
    expect(make({ cleanupIntervall: 1000 })).toThrow(
      /^drizzle-pgstore: PGStore has no option "cleanupIntervall" \(did you mean "cleanupInterval"\?\)$/,
    );
    expect(make({ hashtoken: true })).toThrow(/has no option "hashtoken" \(did you mean "hashTokens"\?\)$/);
    expect(make({ pool: {} })).toThrow(
      /^drizzle-pgstore: PGStore has no option "pool"; its options are cleanupInterval, cleanupJitter, cleanupBatchSize, cleanupSkipLocked, onError, table, preparedStatements, maxDataBytes, hashTokens, encryptionKeys, readUnencrypted, coalesceFinds, coalesceSaves, coalesceDeletes, coalesceReplaces$/,
    );
    expect(() => new PGStore(database.db, 60_000 as never)).toThrow(/^drizzle-pgstore: PGStore options must be an object, got number 60000$/);
  });

  it('hashToken refuses what is not a string, instead of hashing its bytes as a token', () => {
    for (const token of [undefined, null, 42, Buffer.from('t')]) {
      expect(() => hashToken(token as never)).toThrow(TypeError);
    }
    expect(() => hashToken(undefined as never)).toThrow(/^drizzle-pgstore: hashToken needs a string, got undefined$/);
    expect(hashToken('')).toMatch(/^[\w-]{43}$/);
  });

  it('shows its cleanup as a status to read, with no way to stop it but its own methods', async () => {
    const store = new PGStore(database.db, { cleanupInterval: 60_000 });
    try {
      expect(Object.keys(store.cleanup).sort()).toEqual(['lastRun', 'running', 'stopped']);
      expect(store.cleanup).not.toHaveProperty('stop');
      expect(() => Object.assign(store.cleanup, { stopped: true })).toThrow(TypeError);
      expect([store.cleanup.stopped, store.cleanup.running, store.cleanup.lastRun]).toEqual([false, false, undefined]);
      await store.stopCleanup();
      expect(store.cleanup.stopped).toBe(true);
      expect(database.connectionAttempts).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('when onError throws, reports the cleanup failure and the throw, on one line', async () => {
    const lines: unknown[][] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => void lines.push(args));
    const store = new PGStore(database.db, {
      cleanupInterval: 20,
      onError: () => {
        throw new Error('the metrics client is down');
      },
    });
    try {
      await vi.waitFor(() => expect(lines.length).toBeGreaterThanOrEqual(1), { timeout: 5000 });
      await store.close();
      expect(lines[0]).toEqual([
        'drizzle-pgstore: cleanup of expired sessions failed (will retry): connect ECONNREFUSED (a database tests never reach); then onError threw: the metrics client is down',
      ]);
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });
});
