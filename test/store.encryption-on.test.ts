import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, PGStore, type PGStoreOptions, type UnreadableSessionDataError } from '../src/index.js';
import { SessionCipher } from '../src/store/encryption.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { addOwnerColumn, ownedSessions } from './support/owned-sessions.js';
import { bytes, inOneHour } from './support/values.js';
import { writeBetweenReadAndWrite } from './support/write-between.js';

// Turning encryption on for a table of unencrypted sessions (readUnencrypted), without signing anyone out.
for (const backend of BACKENDS) {
  describe(`PGStore turning encryptionKeys on with readUnencrypted, on ${backend.name}`, () => {
    let db: Backend;
    const stores: PGStore[] = [];
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    /** The header every value the new key seals starts with. */
    const newHeader = Buffer.from(new SessionCipher([newKey]).currentHeader);
    let told: unknown[];
    const reasons = () => told.map((error) => (error as UnreadableSessionDataError).reason);
    const newStore = (options: PGStoreOptions = {}, on: Backend['db'] = db.db) => {
      const store = new PGStore(on, { cleanupInterval: 0, table: ownedSessions, onError: (e) => told.push(e), ...options });
      stores.push(store);
      return store;
    };
    /** A store in the transition: the new key, unencrypted rows read. */
    const transition = (options: PGStoreOptions = {}, on?: Backend['db']) =>
      newStore({ encryptionKeys: [newKey, oldKey], readUnencrypted: true, ...options }, on);
    const text = (data: Uint8Array | null | undefined) => (data == null ? data : new TextDecoder().decode(data));
    const rawRows = async () =>
      (await db.query<{ token: string; data: Uint8Array }>('SELECT token, data FROM sessions ORDER BY token')).map((row) => ({
        token: row.token,
        data: Buffer.from(row.data),
      }));
    const rawData = async (token: string) => (await rawRows()).find((row) => row.token === hashToken(token))?.data;
    /** Rows as a store without encryption wrote them. */
    const writePlain = async (count: number, name = (i: number) => `plain-token-${i}`) => {
      const plain = newStore();
      for (let i = 0; i < count; i++) await plain.save(name(i), bytes(`{"email":"user${i}@example.com"}`), inOneHour(), { owner: `u${i % 3}` });
    };

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

    it('reads rows a store without encryption wrote through every read, and seals every write', async () => {
      await writePlain(12);
      const store = transition();
      expect(text(await store.find('plain-token-0'))).toBe('{"email":"user0@example.com"}');
      const withExpiry = await store.findWithExpiry('plain-token-1');
      expect([text(withExpiry?.data), withExpiry!.expiry.getTime() > Date.now()]).toEqual(['{"email":"user1@example.com"}', true]);
      // Waiting at the same moment, these go out as one statement over an array of tokens.
      const coalesced = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store.find(`plain-token-${i}`) : store.findWithExpiry(`plain-token-${i}`))));
      coalesced.forEach((found, i) => expect(text(found instanceof Uint8Array ? found : found?.data)).toBe(`{"email":"user${i}@example.com"}`));
      const all = await store.all();
      expect(all.size).toBe(12);
      expect(text(all.get(hashToken('plain-token-11')))).toBe('{"email":"user11@example.com"}');
      expect((await store.sessionsOf('u0')).map((session) => text(session.data)).sort()).toEqual(
        [0, 3, 6, 9].map((i) => `{"email":"user${i}@example.com"}`),
      );

      // The manager's compare-and-swap: compared with the plain data, swapped to a sealed value.
      expect(await store.replace('plain-token-2', bytes('stale'), bytes('lost'), inOneHour())).toBe(false);
      expect(await store.replace('plain-token-2', bytes('{"email":"user2@example.com"}'), bytes('{"cart":"replaced-marker"}'), inOneHour())).toBe(true);
      await store.save('plain-token-3', bytes('{"cart":"saved-marker"}'), inOneHour());
      await Promise.all([4, 5].map((i) => store.save(`plain-token-${i}`, bytes('{"cart":"coalesced-marker"}'), inOneHour())));
      await store.save('new-token', bytes('{"cart":"new-marker"}'), inOneHour());
      for (const token of ['plain-token-2', 'plain-token-3', 'plain-token-4', 'plain-token-5', 'new-token']) {
        const stored = (await rawData(token))!;
        expect(stored.subarray(0, newHeader.length).equals(newHeader), token).toBe(true);
        expect(stored.includes('marker')).toBe(false);
      }
      const sealedOnly = newStore({ encryptionKeys: [newKey] });
      expect(text(await sealedOnly.find('plain-token-2'))).toBe('{"cart":"replaced-marker"}');
      expect(text(await sealedOnly.find('plain-token-5'))).toBe('{"cart":"coalesced-marker"}');
      expect(told).toEqual([]);
    });

    it('still reads a row in the sealed format that no key opens as no session: tampered, cut, copied, of another key', async () => {
      const sealer = newStore({ encryptionKeys: [newKey] });
      for (const token of ['tampered-token', 'cut-token', 'victim-token', 'copy-token']) await sealer.save(token, bytes(`data of ${token}`), inOneHour());
      await newStore({ encryptionKeys: [randomBytes(32)] }).save('lost-key-token', bytes('x'), inOneHour());
      const tampered = (await rawData('tampered-token'))!;
      tampered[tampered.length - 20]! ^= 1;
      const victim = (await rawData('victim-token'))!;
      const update = 'UPDATE sessions SET data = $1 WHERE token = $2';
      await db.query(update, [tampered, hashToken('tampered-token')]);
      // The format byte and a few more: too short to be sealed, and must not pass for plain data.
      await db.query(update, [(await rawData('cut-token'))!.subarray(0, 8), hashToken('cut-token')]);
      await db.query(update, [victim, hashToken('copy-token')]);
      const before = await rawRows();

      const store = transition();
      for (const token of ['tampered-token', 'cut-token', 'copy-token', 'lost-key-token']) {
        expect(await store.find(token), token).toBeNull();
        expect(await store.findWithExpiry(token), token).toBeNull();
      }
      expect([...(await store.all()).keys()]).toEqual([hashToken('victim-token')]);
      expect(await store.replace('tampered-token', bytes('data of tampered-token'), bytes('planted'), inOneHour())).toBe(false);
      expect(reasons().filter((reason) => reason === 'not-encrypted')).toEqual([]);
      expect(new Set(reasons())).toEqual(new Set(['failed-authentication', 'unknown-key']));
      // The tampered, cut and copied rows carry the current key's header, so reencrypt skips them as moved.
      expect(await store.reencrypt()).toEqual({ moved: 0, encrypted: 0, changedMeanwhile: 0, unreadable: 1 });
      expect(await rawRows()).toEqual(before);
    });

    it('reencrypt seals every unencrypted row and rotates the rest, in batches; the table then holds no plaintext', async () => {
      await writePlain(30);
      await newStore({ encryptionKeys: [oldKey] }).save('old-key-token', bytes('{"email":"old@example.com"}'), inOneHour());
      // Without readUnencrypted, unencrypted rows are unreadable, and left as they are.
      expect(await newStore({ encryptionKeys: [newKey, oldKey] }).reencrypt({ batchSize: 7 })).toEqual({ moved: 1, encrypted: 0, changedMeanwhile: 0, unreadable: 30 });
      expect((await rawRows()).filter((row) => row.data.includes('example.com'))).toHaveLength(30);

      told = [];
      const store = transition();
      const progress: number[] = [];
      const result = await store.reencrypt({ batchSize: 7, onProgress: (p) => progress.push(p.encrypted) });
      expect(result).toEqual({ moved: 30, encrypted: 30, changedMeanwhile: 0, unreadable: 0 });
      expect(progress).toEqual([7, 14, 21, 28, 30]);
      const rows = await rawRows();
      expect(rows).toHaveLength(31);
      for (const row of rows) {
        expect(row.data.subarray(0, newHeader.length).equals(newHeader)).toBe(true);
        expect(row.data.includes('example.com')).toBe(false);
      }
      // After the last deploy (new key only, no readUnencrypted), every session still reads.
      const after = newStore({ encryptionKeys: [newKey] });
      expect(text(await after.find('plain-token-29'))).toBe('{"email":"user29@example.com"}');
      expect(text(await after.find('old-key-token'))).toBe('{"email":"old@example.com"}');
      expect((await after.all()).size).toBe(31);
      expect(await store.reencrypt()).toEqual({ moved: 0, encrypted: 0, changedMeanwhile: 0, unreadable: 0 });
      expect(told).toEqual([]);
    });

    it('reencrypt leaves a session the app wrote or deleted between its read and its rewrite as the app left it', async () => {
      await writePlain(6);
      const app = transition();
      const rotator = transition({}, writeBetweenReadAndWrite(db.db, async () => {
        await app.save('plain-token-1', bytes('{"cart":"written meanwhile"}'), inOneHour());
        await app.delete('plain-token-4');
      }));
      expect(await rotator.reencrypt()).toEqual({ moved: 4, encrypted: 4, changedMeanwhile: 2, unreadable: 0 });
      expect(text(await app.find('plain-token-1'))).toBe('{"cart":"written meanwhile"}');
      expect(await app.find('plain-token-4')).toBeNull();
      expect((await rawRows()).map((row) => row.data.subarray(0, newHeader.length).equals(newHeader))).toEqual(Array(5).fill(true));
      expect(text(await newStore({ encryptionKeys: [newKey] }).find('plain-token-0'))).toBe('{"email":"user0@example.com"}');
      expect(told).toEqual([]);
    });
  });
}
