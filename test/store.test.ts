import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  defineSessionsTable,
  hashToken,
  PGStore,
  SessionManager,
  StoreQueryError,
  UnreadableSessionDataError,
  type PGStoreOptions,
} from '../src/index.js';
import { BACKENDS, uniqueName, type Backend } from './support/backends.js';
import { describeStoreContract } from './support/contract.js';
import { addOwnerColumn, ownedSessions } from './support/owned-sessions.js';
import { sameBytes } from './support/sql.js';
import { bytes, inOneHour } from './support/values.js';

for (const backend of BACKENDS) {
  describe(`PGStore on ${backend.name}`, () => {
    describe.each([{ hashTokens: false }, { hashTokens: true }])('hashTokens: $hashTokens', ({ hashTokens }) =>
      describeStoreContract(backend.open, { sharesAppClock: backend.sharesAppClock, hashTokens }),
    );
  });

  describe(`PGStore on a database without its table, on ${backend.name}`, () => {
    it('says in the error how to create the table', async () => {
      const db = await backend.open();
      const store = new PGStore(db.db, { cleanupInterval: 0, table: defineSessionsTable(uniqueName('missing')) });
      try {
        for (const call of [() => store.find('some-token'), () => store.save('some-token', bytes('x'), inOneHour())]) {
          const error = await call().then(() => undefined, (e: unknown) => e);
          expect(error).toBeInstanceOf(StoreQueryError);
          expect((error as StoreQueryError).code).toBe('42P01');
          expect((error as Error).message).toMatch(
            /^drizzle-pgstore: (find|save) failed: relation "missing_\w+" does not exist \(create the table: npx drizzle-pgstore migrate, or export \{ sessions \} from 'drizzle-pgstore\/schema' in your Drizzle schema and run drizzle-kit generate and drizzle-kit migrate; see docs\/schema.md\)$/,
          );
        }
      } finally {
        await store.close();
        await db.close();
      }
    });
  });

  describe(`PGStore with encryptionKeys on ${backend.name}`, () => {
    let db: Backend;
    const stores: PGStore[] = [];
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    /** What each store told its onError, in order. */
    let told: unknown[];
    const newStore = (options: PGStoreOptions = {}) => {
      const store = new PGStore(db.db, { cleanupInterval: 0, encryptionKeys: [newKey], onError: (e) => told.push(e), ...options });
      stores.push(store);
      return store;
    };
    const rawRows = () => db.query<{ token: string; data: Uint8Array }>('SELECT token, data FROM sessions ORDER BY token');
    const rawData = async (token: string) =>
      Buffer.from((await db.query<{ data: Uint8Array }>('SELECT data FROM sessions WHERE token = $1', [hashToken(token)]))[0]!.data);
    const reasons = () => told.map((error) => (error as UnreadableSessionDataError).reason);

    beforeAll(async () => {
      db = await backend.open();
      await addOwnerColumn(db);
    });
    afterAll(() => db?.close());
    beforeEach(async () => {
      told = [];
      await db.query('TRUNCATE sessions');
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });

    it('keeps no plaintext and no token in the table, through single and coalesced saves', async () => {
      const store = newStore();
      const secret = (i: number) => `{"email":"alice${i}@example.com","cart":"plaintext-marker-${i}"}`;
      await store.save('lone-token-aaaaaaaa', bytes(secret(0)), inOneHour());
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(`coalesced-token-${i}`, bytes(secret(i + 1)), inOneHour())));
      const rows = await rawRows();
      expect(rows).toHaveLength(21);
      for (const row of rows) {
        const stored = Buffer.from(row.data);
        expect(stored.includes('plaintext-marker')).toBe(false);
        expect(stored.includes('example.com')).toBe(false);
        expect(row.token).not.toMatch(/token/);
      }
      expect(new TextDecoder().decode((await store.find('lone-token-aaaaaaaa'))!)).toBe(secret(0));
      const found = await Promise.all(Array.from({ length: 20 }, (_, i) => store.findWithExpiry(`coalesced-token-${i}`)));
      found.forEach((entry, i) => expect(new TextDecoder().decode(entry!.data)).toBe(secret(i + 1)));
      const all = await store.all();
      expect(new TextDecoder().decode(all.get(hashToken('coalesced-token-3'))!)).toBe(secret(4));
      expect(told).toEqual([]);
    });

    it('decrypts in sessionsOf, and replace swaps only what it was given', async () => {
      const store = newStore({ table: ownedSessions });
      await store.save('owned-token-1', bytes('first'), inOneHour(), { owner: 'u1' });
      const [owned] = await store.sessionsOf('u1', { current: 'owned-token-1' });
      expect(new TextDecoder().decode(owned!.data)).toBe('first');
      expect(owned!.current).toBe(true);
      expect(await store.replace('owned-token-1', bytes('stale'), bytes('lost'), inOneHour())).toBe(false);
      expect(await store.replace('owned-token-1', bytes('first'), bytes('second'), inOneHour())).toBe(true);
      expect(new TextDecoder().decode((await store.find('owned-token-1'))!)).toBe('second');
      expect((await rawData('owned-token-1')).includes('second')).toBe(false);
      expect(await store.replace('owned-token-1', bytes('first'), bytes('third'), inOneHour())).toBe(false);
      expect(await store.replace('missing-token', bytes('first'), bytes('third'), inOneHour())).toBe(false);
    });

    it('works under SessionManager: load, commit with compare-and-swap, and iterate', async () => {
      const manager = new SessionManager<{ visits?: number; seen?: boolean }>(newStore(), { cookie: { secure: false } });
      const first = await manager.load(new Request('http://app.test/'));
      first.set('visits', 1);
      const response = await manager.commit(first, new Response('ok'));
      const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
      const again = await manager.load(new Request('http://app.test/', { headers: { cookie } }));
      expect(again.get('visits')).toBe(1);
      again.set('visits', 2);
      await manager.commit(again, new Response('ok'));
      await manager.iterate(async (session) => session.set('seen', true));
      const last = await manager.load(new Request('http://app.test/', { headers: { cookie } }));
      expect([last.get('visits'), last.get('seen')]).toEqual([2, true]);
      const [row] = await rawRows();
      expect(Buffer.from(row!.data).includes('visits')).toBe(false);
      expect(told).toEqual([]);
    });

    it('seals each write afresh: the same data twice is stored as two different values', async () => {
      const store = newStore();
      await store.save('token-one', bytes('same'), inOneHour());
      const first = await rawData('token-one');
      await store.save('token-one', bytes('same'), inOneHour());
      expect((await rawData('token-one')).equals(first)).toBe(false);
    });

    it('fails closed on data copied from another row, tampered with, sealed by another key, or not sealed', async () => {
      const store = newStore();
      await store.save('victim-token', bytes('victim data'), inOneHour());
      await store.save('attacker-token', bytes('attacker data'), inOneHour());
      // The attacker, with write access to the table, gives their row the victim's ciphertext.
      await db.query('UPDATE sessions SET data = (SELECT data FROM sessions WHERE token = $1) WHERE token = $2', [
        hashToken('victim-token'),
        hashToken('attacker-token'),
      ]);
      expect(await store.find('attacker-token')).toBeNull();
      expect(new TextDecoder().decode((await store.find('victim-token'))!)).toBe('victim data');

      const tampered = await rawData('victim-token');
      tampered[tampered.length - 20]! ^= 1;
      await db.query('UPDATE sessions SET data = $1 WHERE token = $2', [tampered, hashToken('victim-token')]);
      expect(await store.findWithExpiry('victim-token')).toBeNull();

      await newStore({ encryptionKeys: [oldKey] }).save('other-key-token', bytes('x'), inOneHour());
      const plain = new PGStore(db.db, { cleanupInterval: 0 });
      stores.push(plain);
      await plain.save('plain-token', bytes('{"plain":true}'), inOneHour());
      expect(await store.find('other-key-token')).toBeNull();
      expect(await store.find('plain-token')).toBeNull();
      expect(reasons()).toEqual(['failed-authentication', 'failed-authentication', 'unknown-key', 'not-encrypted']);

      told = [];
      expect([...(await store.all()).keys()]).toEqual([]);
      expect(told).toHaveLength(4);
      for (const error of told) {
        expect(error).toBeInstanceOf(UnreadableSessionDataError);
        const text = `${(error as Error).message} ${(error as Error).stack}`;
        for (const secret of ['victim', 'attacker', '{"plain"', hashToken('victim-token'), newKey.toString('base64'), oldKey.toString('base64')]) {
          expect(text).not.toContain(secret);
        }
      }
    });

    it('rotates: [new, old] reads rows of the old key and writes with the new one', async () => {
      await newStore({ encryptionKeys: [oldKey] }).save('rotated-token', bytes('before'), inOneHour());
      const rotated = newStore({ encryptionKeys: [newKey.toString('base64'), oldKey.toString('base64url')] });
      expect(new TextDecoder().decode((await rotated.find('rotated-token'))!)).toBe('before');
      await rotated.save('rotated-token', bytes('after'), inOneHour());
      expect(new TextDecoder().decode((await newStore().find('rotated-token'))!)).toBe('after');
      expect(await newStore({ encryptionKeys: [oldKey] }).find('rotated-token')).toBeNull();
      expect(reasons()).toEqual(['unknown-key']);
    });

    it('reencrypt moves every row to the new key while the app writes, losing no session', async () => {
      const old = newStore({ encryptionKeys: [oldKey] });
      const count = 60;
      const token = (i: number) => `session-${String(i).padStart(3, '0')}`;
      for (let i = 0; i < count; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => old.save(token(i + j), bytes(`v0 of ${i + j}`), inOneHour())));
      }
      const rotated = newStore({ encryptionKeys: [newKey, oldKey] });
      const latest = new Map<number, string>();
      let stop = false;
      const traffic = (async () => {
        for (let round = 1; !stop; round++) {
          const i = (round * 7) % count;
          const value = `v${round} of ${i}`;
          await rotated.save(token(i), bytes(value), inOneHour());
          latest.set(i, value);
        }
      })();
      const progress: number[] = [];
      // Stopped after its first batch, then run again: the second run picks up what is left.
      const abort = new AbortController();
      const first = await rotated.reencrypt({ batchSize: 7, signal: abort.signal, onProgress: (p) => (progress.push(p.moved), abort.abort()) });
      expect(progress).toHaveLength(1);
      const second = await rotated.reencrypt({ batchSize: 7, onProgress: (p) => progress.push(p.moved) });
      stop = true;
      await traffic;
      expect(first.moved + second.moved + second.changedMeanwhile + first.changedMeanwhile).toBeLessThanOrEqual(count);
      expect(second.unreadable).toBe(0);
      expect(progress.length).toBeGreaterThan(2);

      const onlyNew = newStore();
      for (let i = 0; i < count; i++) {
        const data = await onlyNew.find(token(i));
        expect(new TextDecoder().decode(data!), token(i)).toBe(latest.get(i) ?? `v0 of ${i}`);
      }
      expect(told).toEqual([]);
      expect(await rotated.reencrypt()).toEqual({ moved: 0, encrypted: 0, changedMeanwhile: 0, unreadable: 0 });
    });

    it('reencrypt counts and leaves alone rows no key opens', async () => {
      await newStore({ encryptionKeys: [randomBytes(32)] }).save('lost-token', bytes('x'), inOneHour());
      await newStore({ encryptionKeys: [oldKey] }).save('old-token', bytes('y'), inOneHour());
      const before = await rawData('lost-token');
      const result = await newStore({ encryptionKeys: [newKey, oldKey] }).reencrypt({ batchSize: 1 });
      expect(result).toEqual({ moved: 1, encrypted: 0, changedMeanwhile: 0, unreadable: 1 });
      expect((await rawData('lost-token')).equals(before)).toBe(true);
      expect(sameBytes(await newStore().find('old-token'), bytes('y'))).toBe(true);
    });
  });
}
