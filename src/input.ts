/**
 * Checks on what callers hand the store. Each runs before any query, so bad input is
 * refused with an error that names it and nothing reaches the database.
 */

/**
 * Longest token, in UTF-8 bytes. A btree entry must stay under about 2.7 kB, so a longer
 * primary key would fail inside PostgreSQL; real tokens are 20 to 64 bytes.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return res.status(400).end();
 * ```
 */
export const MAX_TOKEN_BYTES = 1024;

/**
 * Default largest session, in bytes (16 MiB); `maxDataBytes` changes it.
 *
 * @example
 * ```ts
 * new PGStore(db, { maxDataBytes: DEFAULT_MAX_DATA_BYTES / 16 }); // 1 MiB
 * ```
 */
export const DEFAULT_MAX_DATA_BYTES = 16 * 1024 * 1024;

/** `timestamptz` reaches further, but drivers send dates in ISO form, which has four-digit years. */
const EARLIEST_EXPIRY = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_EXPIRY = Date.parse('9999-12-31T23:59:59.999Z');

/** A time in milliseconds, moved into the range of expiries the store accepts. */
export const withinExpiryRange = (ms: number) => new Date(Math.min(Math.max(ms, EARLIEST_EXPIRY), LATEST_EXPIRY));

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Refuses anything that is not a token PostgreSQL `text` can hold exactly. */
export function checkToken(token: unknown): asserts token is string {
  if (typeof token !== 'string') {
    throw new TypeError(`drizzle-pgstore: token must be a string, got ${describe(token)}`);
  }
  if (token.includes('\0')) {
    throw new RangeError('drizzle-pgstore: token must not contain NUL (U+0000); PostgreSQL text cannot hold it');
  }
  if (!token.isWellFormed()) {
    throw new RangeError('drizzle-pgstore: token must be well-formed Unicode; it has a lone surrogate');
  }
  const bytes = Buffer.byteLength(token, 'utf8');
  if (bytes > MAX_TOKEN_BYTES) {
    throw new RangeError(`drizzle-pgstore: token is ${bytes} bytes in UTF-8; at most ${MAX_TOKEN_BYTES} are allowed`);
  }
}

/** A token that a row can be written under: a valid one, and not empty. */
export function checkTokenToWrite(token: unknown): asserts token is string {
  checkToken(token);
  if (token === '') throw new RangeError('drizzle-pgstore: token must not be empty');
}

/** Refuses session data that is not bytes, or too many of them. */
export function checkData(data: unknown, maxBytes: number): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`drizzle-pgstore: data must be a Uint8Array, got ${describe(data)}`);
  }
  if (data.byteLength > maxBytes) {
    throw new RangeError(`drizzle-pgstore: data is ${data.byteLength} bytes; at most ${maxBytes} are allowed`);
  }
}

/** Refuses an expiry that is not a real date PostgreSQL and the drivers agree on. */
export function checkExpiry(expiry: unknown): asserts expiry is Date {
  if (!(expiry instanceof Date)) {
    throw new TypeError(`drizzle-pgstore: expiry must be a Date, got ${describe(expiry)}`);
  }
  const time = expiry.getTime();
  if (Number.isNaN(time)) throw new RangeError('drizzle-pgstore: expiry is an invalid Date');
  if (time < EARLIEST_EXPIRY || time > LATEST_EXPIRY) {
    throw new RangeError(
      `drizzle-pgstore: expiry ${expiry.toISOString()} is outside the supported range 0001-01-01 to 9999-12-31 (UTC)`,
    );
  }
}

/** Refuses a yes-or-no option that is not a boolean (the string 'false' would read as true). */
export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`drizzle-pgstore: ${name} must be a boolean, got ${describe(value)}`);
  }
}

/** Refuses a non-negative integer option that is not one. */
export function checkCount(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`drizzle-pgstore: ${name} must be an integer from 0 to ${max}, got ${String(value)}`);
  }
}
