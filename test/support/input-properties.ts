import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, expect, it, onTestFinished } from 'vitest';
import { defineSessionsTable, PGStore, type PGStoreOptions } from '../../src/index.js';
import { uniqueName, type Backend, type OpenBackend } from './backends.js';
import { countRows, createSessionsTable, qualified, sameBytes } from './sql.js';
import { unreachableDatabase } from './unreachable-database.js';
import { inOneHour } from './values.js';

/** Cases each property tries: enough to reach the rare shapes of Unicode and bytes. */
const RUNS = 1000;
const MAX_TOKEN_BYTES = 1024;
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Any well-formed Unicode (every plane, surrogate pairs included), with no NUL. */
const unicode = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc.string({ unit: 'binary', ...constraints }).map((text) => text.replaceAll('\0', ''));

/** Cuts a string to at most `max` UTF-8 bytes on a code point boundary. */
function clipBytes(text: string, max: number): string {
  let out = '';
  for (const char of text) {
    if (utf8Bytes(out) + utf8Bytes(char) > max) break;
    out += char;
  }
  return out;
}

/** The error a call rejects with, or a marker error when it resolves. */
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error('resolved'),
    (error: unknown) => error,
  );

/**
 * Hostile and odd input, property-based, on one backend. `stripsLeadingBom` marks a driver
 * that decodes text results with a BOM-stripping TextDecoder (PGlite): the row holds the
 * token exactly, but a token read back from it loses a leading U+FEFF. `slowBytea` marks
 * one where a 16 MiB value takes many seconds (PGlite), so only a server backend writes it.
 */
export function describeInputProperties(open: OpenBackend, { stripsLeadingBom = false, slowBytea = false } = {}) {
  let backend: Backend;
  let store: PGStore;
  // A store on a database never reached: what it refuses, it refused before any query.
  const unreachable = unreachableDatabase();
  const nowhere = new PGStore(unreachable.db, { cleanupInterval: 0 });
  // Raw keys, so that what these properties check (the token as the key column keeps it, the
  // expiry to the millisecond) is read back from the row itself; a hash would hide the token.
  const newStore = (options: PGStoreOptions = {}) => new PGStore(backend.db, { cleanupInterval: 0, hashTokens: false, ...options });

  beforeAll(async () => {
    backend = await open();
    store = newStore();
  });
  afterAll(async () => {
    expect(unreachable.connectionAttempts).toBe(0);
    await store?.close();
    await nowhere.close();
    await unreachable.close();
    await backend?.close();
  });
  beforeEach(() => backend.query('TRUNCATE sessions'));

  /** The token's bytes as the row holds them, read without any driver text decoding. */
  const storedTokenHex = async (token: string) => {
    const rows = await backend.query<{ hex: string }>(
      `SELECT encode(convert_to(token, 'UTF8'), 'hex') AS hex FROM sessions WHERE token = $1`,
      [token],
    );
    return rows.map((row) => row.hex);
  };

  it('round-trips any well-formed Unicode token of up to 1024 UTF-8 bytes', async () => {
    const data = Uint8Array.of(1, 2, 3);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          unicode({ minLength: 1, maxLength: 40 }),
          // Long ones too, cut at the limit, and some exactly at it.
          unicode({ minLength: 1, maxLength: 1100 }).map((text) => clipBytes(text, MAX_TOKEN_BYTES)),
          unicode({ minLength: 1, maxLength: 1100 }).map((text) => {
            const head = clipBytes(text, MAX_TOKEN_BYTES);
            return head + 'a'.repeat(MAX_TOKEN_BYTES - utf8Bytes(head));
          }),
        ),
        async (token) => {
          fc.pre(token !== '');
          await store.save(token, data, inOneHour());
          expect(sameBytes(await store.find(token), data)).toBe(true);
          expect(await storedTokenHex(token)).toEqual([Buffer.from(token, 'utf8').toString('hex')]);
          const keys = [...(await store.all()).keys()];
          expect(keys).toEqual([stripsLeadingBom ? token.replace(/^\uFEFF/, '') : token]);
          await store.delete(token);
          expect(await store.find(token)).toBeNull();
        },
      ),
      { numRuns: RUNS },
    );
    expect(await countRows(backend)).toBe(0);
  });

  it('keeps a token that starts with U+FEFF exactly, and says whether the driver reads it back whole', async () => {
    const token = '\uFEFFbom-token';
    await store.save(token, Uint8Array.of(9), inOneHour());
    expect(await store.find(token)).not.toBeNull();
    expect(await storedTokenHex(token)).toEqual([Buffer.from(token).toString('hex')]);
    // PGlite 0.5 decodes text with `new TextDecoder('utf-8')`, which drops a leading BOM;
    // node-postgres and postgres.js do not. Only the keys of all() can show it.
    const [key] = (await store.all()).keys();
    expect(key).toBe(stripsLeadingBom ? 'bom-token' : token);
  });

  it('round-trips arbitrary bytes exactly, views into larger buffers included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
          { weight: 3, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }) },
        ),
        fc.nat({ max: 16 }),
        fc.nat({ max: 16 }),
        fc.boolean(),
        async (bytes, before, after, asBuffer) => {
          // The data may be a window on a bigger buffer: only the window is the session.
          const backing = new Uint8Array(before + bytes.length + after).fill(0xee);
          backing.set(bytes, before);
          const view = asBuffer
            ? Buffer.from(backing.buffer, before, bytes.length)
            : new Uint8Array(backing.buffer, before, bytes.length);
          await store.save('t', view, inOneHour());
          const found = await store.find('t');
          expect(found?.byteLength).toBe(bytes.length);
          expect(sameBytes(found, bytes)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('round-trips data of exactly the default limit, 16 MiB, and refuses one byte more', async () => {
    const limit = 16 * 1024 * 1024;
    if (!slowBytea) {
      const data = new Uint8Array(limit);
      for (let i = 0; i < data.length; i += 4099) data[i] = i % 251;
      await store.save('big', data, inOneHour());
      expect(sameBytes(await store.find('big'), data)).toBe(true);
    }
    const error = await rejection(nowhere.save('big', new Uint8Array(limit + 1), inOneHour()));
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(`data is ${limit + 1} bytes; at most ${limit} are allowed`);
  });

  it('accepts data up to maxDataBytes and refuses more, before any query', async () => {
    const made = new Map<string, PGStore>();
    const storeWithLimit = (maxDataBytes: number, reachable: boolean) => {
      const key = `${maxDataBytes} ${reachable}`;
      if (!made.has(key)) {
        const options = { cleanupInterval: 0, hashTokens: false, maxDataBytes };
        made.set(key, reachable ? newStore(options) : new PGStore(unreachable.db, options));
      }
      return made.get(key)!;
    };
    await fc.assert(
      // 0 is refused as an option (it would refuse every session): the limits start at 1.
      fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.uint8Array({ maxLength: 96 }), async (limit, bytes) => {
        const small = storeWithLimit(limit, true);
        const smallNowhere = storeWithLimit(limit, false);
        if (bytes.length <= limit) {
          await small.save('t', bytes, inOneHour());
          expect(sameBytes(await small.find('t'), bytes)).toBe(true);
        } else {
          const error = await rejection(smallNowhere.save('t', bytes, inOneHour()));
          expect(error).toBeInstanceOf(RangeError);
          expect((error as Error).message).toMatch(`data is ${bytes.length} bytes; at most ${limit} are allowed`);
          await expect(small.save('fresh', bytes, inOneHour())).rejects.toThrow(RangeError);
          expect(await small.find('fresh')).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
  });

  // node-postgres writes a bare Date in local time with a whole-minute offset, which shifts
  // dates from before time zones (local mean time, e.g. +00:19:32 in Amsterdam) by seconds.
  // The store sends ISO strings in UTC (drizzle's timestamp column does), so the zone the app
  // runs in must not matter: try one whose old offsets have seconds.
  it.each(['UTC', 'Europe/Amsterdam'])('stores every expiry from year 0001 to 9999 to the millisecond, and refuses any other date (TZ=%s)', async (zone) => {
    const appZone = process.env.TZ;
    process.env.TZ = zone;
    onTestFinished(() => {
      if (appZone === undefined) delete process.env.TZ;
      else process.env.TZ = appZone;
    });
    // The switch took effect: in 1850, Amsterdam ran ahead of UTC.
    expect(new Date('1850-01-01T00:00:00Z').getTimezoneOffset() < 0).toBe(zone !== 'UTC');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.date({ min: new Date(EARLIEST), max: new Date(LATEST), noInvalidDate: true }),
          // The edges, and everything a JavaScript Date can hold beyond them.
          fc.integer({ min: -3, max: 3 }).map((ms) => new Date(EARLIEST + ms)),
          fc.integer({ min: -3, max: 3 }).map((ms) => new Date(LATEST + ms)),
          fc.date({ noInvalidDate: false }),
        ),
        async (expiry) => {
          const time = expiry.getTime();
          if (time >= EARLIEST && time <= LATEST) {
            await store.save('t', Uint8Array.of(1), expiry);
            const [row] = await backend.query<{ ms: string | number }>(
              `SELECT (extract(epoch FROM expiry) * 1000)::text AS ms FROM sessions WHERE token = 't'`,
            );
            expect(Number(row?.ms)).toBe(time);
          } else {
            const error = await rejection(nowhere.save('t', Uint8Array.of(1), expiry));
            expect(error).toBeInstanceOf(RangeError);
            expect((error as Error).message).toMatch(Number.isNaN(time) ? /invalid Date/ : /outside the supported range/);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps table and schema names full of quotes, semicolons and spaces as identifiers, never SQL', async () => {
    // Names drawn mostly from what breaks naive quoting, and any other character.
    const nameChar = fc.oneof(
      fc.constantFrom('"', "'", ';', ' ', '-', '--', '/*', '*/', '\\', '$', '$$', '(', ')', ',', '.', '\n', '\t', 'DROP', 'é'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const name = (maxBytes: number) =>
      fc
        .array(nameChar, { minLength: 1, maxLength: 20 })
        .map((parts) => clipBytes(parts.join('').replaceAll('\0', ''), maxBytes))
        .filter((text) => text.length > 0);
    const schemas: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(name(52), name(40), async (tableName, schemaPrefix) => {
          // A fresh schema per case, so names never collide between cases.
          const schema = `${schemaPrefix}${uniqueName('')}`;
          schemas.push(schema);
          await createSessionsTable(backend, tableName, schema);
          // Unprepared, so a thousand tables leave no thousands of statements on the connections.
          const custom = newStore({ table: defineSessionsTable(tableName, { schema }), preparedStatements: false });
          await custom.save('t1', Uint8Array.of(1), inOneHour());
          expect(sameBytes(await custom.find('t1'), Uint8Array.of(1))).toBe(true);
          expect([...(await custom.all()).keys()]).toEqual(['t1']);
          expect(await custom.deleteExpired()).toBe(0);
          await custom.delete('t1');
          expect(await custom.find('t1')).toBeNull();
          // The catalog holds the table and its expiry index under exactly these names.
          const relations = await backend.query<{ relname: string; relkind: string }>(
            `SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'i')`,
            [schema],
          );
          expect(relations.filter((r) => r.relkind === 'r').map((r) => r.relname)).toEqual([tableName]);
          expect(relations.map((r) => r.relname)).toContain(`${tableName}_expiry_idx`);
          await backend.query(`DROP SCHEMA ${qualified(schema)} CASCADE`);
          schemas.pop();
        }),
        { numRuns: RUNS },
      );
    } finally {
      for (const schema of schemas) await backend.query(`DROP SCHEMA IF EXISTS ${qualified(schema)} CASCADE`);
    }
    // Nothing reached the default table.
    expect(await countRows(backend)).toBe(0);
  });
}

/**
 * Tokens every store call refuses before any query, property-based: on a database never
 * reached, so once rather than per backend.
 */
export function describeRefusedTokens() {
  const unreachable = unreachableDatabase();
  const nowhere = new PGStore(unreachable.db, { cleanupInterval: 0 });
  afterAll(async () => {
    expect(unreachable.connectionAttempts).toBe(0);
    await nowhere.close();
    await unreachable.close();
  });

  /** Each call that takes a token refuses this one with a RangeError saying why. */
  const expectEveryCallRefuses = async (token: string, why: RegExp) => {
    for (const call of [
      () => nowhere.save(token, Uint8Array.of(1), inOneHour()),
      () => nowhere.find(token),
      () => nowhere.delete(token),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(why);
    }
  };

  it('refuses a token with a lone surrogate, before any query', async () => {
    await fc.assert(
      fc.asyncProperty(
        unicode({ maxLength: 30 }),
        fc.integer({ min: 0xd800, max: 0xdfff }),
        unicode({ maxLength: 30 }),
        async (head, unit, tail) => {
          const token = head + String.fromCharCode(unit) + tail;
          // A high and a low surrogate that meet make a pair, which is fine.
          fc.pre(!token.isWellFormed());
          await expectEveryCallRefuses(token, /well-formed Unicode/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a token holding NUL, before any query, whatever else it holds', async () => {
    await fc.assert(
      fc.asyncProperty(unicode({ maxLength: 40 }), unicode({ maxLength: 40 }), async (head, tail) => {
        const token = `${head}\0${tail}`;
        await expectEveryCallRefuses(token, /NUL/);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a token over 1024 UTF-8 bytes, before any query, naming its size', async () => {
    await fc.assert(
      fc.asyncProperty(unicode({ maxLength: 600 }), fc.integer({ min: 1, max: 3000 }), async (text, over) => {
        // Multi-byte characters make the byte count, not the string length, decide.
        const head = clipBytes(text, MAX_TOKEN_BYTES);
        const token = head + 'z'.repeat(MAX_TOKEN_BYTES + over - utf8Bytes(head));
        expect(utf8Bytes(token)).toBe(MAX_TOKEN_BYTES + over);
        const error = await rejection(nowhere.save(token, Uint8Array.of(1), inOneHour()));
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toContain(`token is ${MAX_TOKEN_BYTES + over} bytes`);
        expect(await rejection(nowhere.find(token))).toBeInstanceOf(RangeError);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses anything but a string as a token with a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything().filter((value) => typeof value !== 'string'),
        async (token) => {
          const error = await rejection(nowhere.find(token as string));
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toMatch(/token must be a string/);
        },
      ),
      { numRuns: RUNS },
    );
  });
}
