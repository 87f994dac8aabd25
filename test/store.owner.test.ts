import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineSessionsTable, hashToken, PGStore, type PGStoreOptions } from '../src/index.js';
import { BACKENDS, type Backend } from './support/backends.js';
import { addOwnerColumn, ownedSessions } from './support/owned-sessions.js';
import { countRows } from './support/sql.js';
import { unreachableDatabase } from './support/unreachable-database.js';
import { bytes } from './support/values.js';

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);

describe.each(BACKENDS)('sessions per owner on $name', ({ open }) => {
  let backend: Backend;
  const stores: PGStore[] = [];
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(backend.db, { cleanupInterval: 0, table: ownedSessions, ...options });
    stores.push(store);
    return store;
  };
  const ownerOfRow = async (key: string) =>
    (await backend.query<{ owner: string | null }>('SELECT owner FROM sessions WHERE token = $1', [key]))[0]?.owner;

  beforeAll(async () => {
    backend = await open();
    await addOwnerColumn(backend);
  });
  afterAll(() => backend?.close());
  beforeEach(() => backend.query('TRUNCATE sessions'));
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  describe.each([false, true])('with hashTokens %s', (hashTokens) => {
    const keyOf = (token: string) => (hashTokens ? hashToken(token) : token);

    it('sets the owner on save, keeps it on touch and on saves without one, changes it, and clears it with null', async () => {
      const store = newStore({ hashTokens });
      await store.save('phone-token', bytes('phone'), inMinutes(30), { owner: 'alice' });
      expect(await ownerOfRow(keyOf('phone-token'))).toBe('alice');

      expect(await store.touch('phone-token', inMinutes(90))).toBe(true);
      await store.save('phone-token', bytes('phone, later'), inMinutes(90));
      expect(await ownerOfRow(keyOf('phone-token'))).toBe('alice');

      await store.save('phone-token', bytes('phone, bob'), inMinutes(90), { owner: 'bob' });
      expect(await store.sessionsOf('alice')).toEqual([]);
      expect((await store.sessionsOf('bob')).map((s) => text(s.data))).toEqual(['phone, bob']);

      await store.save('phone-token', bytes('signed out'), inMinutes(90), { owner: null });
      expect(await ownerOfRow(keyOf('phone-token'))).toBeNull();
      expect(await store.sessionsOf('bob')).toEqual([]);
      expect(text((await store.find('phone-token'))!)).toBe('signed out');
    });

    it('lists only the live sessions of that owner, latest expiry first, marking the current one', async () => {
      const store = newStore({ hashTokens });
      await store.save('laptop', bytes('laptop'), inMinutes(10), { owner: 'alice' });
      await store.save('phone', bytes('phone'), inMinutes(20), { owner: 'alice' });
      await store.save('old-tablet', bytes('tablet'), new Date(Date.now() - 60_000), { owner: 'alice' });
      await store.save('bobs', bytes('bob'), inMinutes(20), { owner: 'bob' });
      await store.save('anonymous', bytes('anonymous'), inMinutes(20));

      const listed = await store.sessionsOf('alice', { current: 'laptop' });
      expect(listed.map((s) => [s.key, text(s.data), s.current])).toEqual([
        [keyOf('phone'), 'phone', false],
        [keyOf('laptop'), 'laptop', true],
      ]);
      expect(listed[0]!.expiry.getTime()).toBeGreaterThan(listed[1]!.expiry.getTime());
      expect(await store.sessionsOf('carol')).toEqual([]);
    });

    it('ends every session of an owner, or all but the current one, counting the live ones it ended', async () => {
      const store = newStore({ hashTokens });
      for (const device of ['laptop', 'phone', 'tablet']) {
        await store.save(device, bytes(device), inMinutes(30), { owner: 'alice' });
      }
      await store.save('expired', bytes('expired'), new Date(Date.now() - 60_000), { owner: 'alice' });
      await store.save('bobs', bytes('bob'), inMinutes(30), { owner: 'bob' });
      await store.save('anonymous', bytes('anonymous'), inMinutes(30));

      expect(await store.deleteOwner('alice', { except: 'laptop' })).toBe(2);
      expect((await store.sessionsOf('alice')).map((s) => s.key)).toEqual([keyOf('laptop')]);
      expect(await store.find('phone')).toBeNull();
      expect(await countRows(backend)).toBe(3); // laptop, bob's, the anonymous one; the expired row went too

      expect(await store.deleteOwner('alice')).toBe(1);
      expect(await store.find('laptop')).toBeNull();
      expect(await store.find('bobs')).not.toBeNull();
      expect(await store.find('anonymous')).not.toBeNull();
      expect(await store.deleteOwner('alice')).toBe(0);
    });
  });

  it('leaves behind no session of the owner that was saved before deleteOwner began, while saves go on', async () => {
    const store = newStore();
    // A driver's first use of a statement on a connection costs a round trip of its own
    // (postgres.js: Parse and Describe first), which on some servers (PostgreSQL 13 and 14 here)
    // let every save finish before the delete ran: nothing was in flight, and the check below
    // that saves went on failed. Prepared on each connection now, the delete starts at once.
    await Promise.all(Array.from({ length: 10 }, () => store.deleteOwner('nobody')));
    const savedBefore = new Set<string>();
    const saves: Array<Promise<void>> = [];
    let deleteStarted = false;
    for (let i = 0; i < 300; i++) {
      const token = `device-${i}`;
      saves.push(
        store.save(token, bytes(token), inMinutes(30), { owner: 'alice' }).then(() => {
          if (!deleteStarted) savedBefore.add(token);
        }),
      );
      if (i === 150) {
        // Let some saves finish, then end the owner's sessions while the rest are in flight.
        await Promise.all(saves.slice(0, 100));
        deleteStarted = true;
        saves.push(store.deleteOwner('alice').then(() => undefined));
      }
    }
    await Promise.all(saves);
    expect(savedBefore.size).toBeGreaterThanOrEqual(100);
    const left = new Set((await store.sessionsOf('alice')).map((s) => s.key));
    expect(left.size).toBeGreaterThan(0);
    expect([...savedBefore].filter((token) => left.has(hashToken(token)))).toEqual([]);
  });

  it('takes a whole number or a bigint as an owner, as its decimal text', async () => {
    const store = newStore();
    await store.save('numeric-1', bytes('one'), inMinutes(30), { owner: 42 as never });
    await store.save('numeric-2', bytes('two'), inMinutes(20), { owner: 42n as never });
    await store.save('numeric-3', bytes('three'), inMinutes(10), { owner: '42' });
    await store.save('big', bytes('big'), inMinutes(10), { owner: 9007199254740993n as never });
    expect(await ownerOfRow(hashToken('numeric-2'))).toBe('42');
    expect((await store.sessionsOf(42)).map((s) => text(s.data))).toEqual(['one', 'two', 'three']);
    expect(await store.sessionsOf(9007199254740993n)).toHaveLength(1);
    expect(await store.replace('numeric-1', bytes('one'), bytes('uno'), inMinutes(30), { owner: -7 as never })).toBe(true);
    expect(await ownerOfRow(hashToken('numeric-1'))).toBe('-7');
    expect(await store.deleteOwner(42n, { except: 'numeric-3' })).toBe(1);
    expect((await store.sessionsOf('42')).map((s) => text(s.data))).toEqual(['three']);
  });

  it("keeps the owner out of a failed save's error, as it keeps the token and data out", async () => {
    const store = newStore();
    await backend.query(`CREATE FUNCTION quote_owner() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'refused row of %', NEW.owner; END $$`);
    await backend.query('CREATE TRIGGER quote_owner BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION quote_owner()');
    try {
      const error = await store.save('token-of-ada', bytes('x'), inMinutes(5), { owner: 'ada@example.com' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StoreQueryError', method: 'save' });
      expect(String((error as Error).message)).toMatch(/refused row of \[redacted\]/);
      expect(inspect(error, { showHidden: true, depth: null })).not.toContain('ada@example.com');
    } finally {
      await backend.query('DROP TRIGGER quote_owner ON sessions');
      await backend.query('DROP FUNCTION quote_owner()');
    }
  });

  it("runs SCS pgstore's own statements, verbatim, on a table with an owner column, and keeps the owner through them", async () => {
    const store = newStore();
    await store.save('shared', bytes('from node'), inMinutes(30), { owner: 'alice' });
    // SCS's Commit, Find, All, Delete and cleanup, as its postgresstore sends them with
    // HashTokenInStore = true (the setting that shares a table with this store's default).
    await backend.query(
      'INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3) ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry',
      [hashToken('shared'), Buffer.from('from go'), inMinutes(60).toISOString()],
    );
    await backend.query(
      'INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3) ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry',
      [hashToken('go-only'), Buffer.from('go'), inMinutes(60).toISOString()],
    );
    const [found] = await backend.query<{ data: Uint8Array }>(
      'SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry',
      [hashToken('shared')],
    );
    expect(text(found!.data)).toBe('from go');
    expect(await backend.query('SELECT token, data FROM sessions WHERE current_timestamp < expiry')).toHaveLength(2);
    await backend.query('DELETE FROM sessions WHERE expiry < current_timestamp');

    expect((await store.sessionsOf('alice')).map((s) => text(s.data))).toEqual(['from go']);
    expect(await ownerOfRow(hashToken('go-only'))).toBeNull();
    await backend.query('DELETE FROM sessions WHERE token = $1', [hashToken('shared')]);
    expect(await store.sessionsOf('alice')).toEqual([]);
  });
});

// Checks that end before any query, once: the database is never reached.
describe('owner input', () => {
  const database = unreachableDatabase();
  const stores: PGStore[] = [];
  const newStore = (options: PGStoreOptions = {}) => {
    const store = new PGStore(database.db, { cleanupInterval: 0, table: ownedSessions, ...options });
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await database.close();
  });

  it('refuses hostile owners with an error that names the problem, and writes nothing', async () => {
    const store = newStore();
    const cases: Array<[unknown, RegExp]> = [
      ['a\0b', /owner must not contain NUL/],
      ['x'.repeat(1025), /owner is 1025 bytes in UTF-8; at most 1024/],
      ['', /owner must not be empty \(null clears it\)/],
      [1.5, /^drizzle-pgstore: owner must be a string or a whole number, got number 1.5$/],
      [Number.NaN, /owner must be a string or a whole number, got number NaN$/],
      [2 ** 53, /got number 9007199254740992 \(past 2\^53 a number has lost digits: pass a bigint or a string\)$/],
      [{ id: 1 }, /owner must be a string, got object/],
      ['\ud800', /owner must be well-formed Unicode/],
    ];
    for (const [owner, message] of cases) {
      await expect(store.save('t', bytes('x'), inMinutes(5), { owner: owner as string })).rejects.toThrow(message);
      await expect(store.sessionsOf(owner as string)).rejects.toThrow(message);
      await expect(store.deleteOwner(owner as string)).rejects.toThrow(message);
    }
    await expect(store.sessionsOf(null as unknown as string)).rejects.toThrow(/owner must be a string, got null/);
    await expect(store.save('t', bytes('x'), inMinutes(5), { ownr: 'a' } as never)).rejects.toThrow(
      /save has no option "ownr" \(did you mean "owner"\?\)/,
    );
    expect(database.connectionAttempts).toBe(0);
  });

  it('on a table defined without the column, refuses owner calls with how to add it, and writes nothing', async () => {
    const store = newStore({ table: defineSessionsTable('sessions') });
    const howTo =
      /needs an owner column, and the table "sessions" is defined without one: define it with defineSessionsTable\('sessions', \{ owner: true \}\).*drizzle-pgstore migrate --owner/;
    await expect(store.save('t', bytes('x'), inMinutes(5), { owner: 'alice' })).rejects.toThrow(howTo);
    await expect(store.sessionsOf('alice')).rejects.toThrow(howTo);
    await expect(store.deleteOwner('alice')).rejects.toThrow(howTo);
    await expect(store.replace('t', bytes('x'), bytes('y'), inMinutes(5), { owner: 'alice' })).rejects.toThrow(howTo);
    expect(database.connectionAttempts).toBe(0);
  });
});
