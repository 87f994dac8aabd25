/**
 * Checks on what callers hand the store. Each runs before any query, so bad input is
 * refused with an error that names it and nothing reaches the database.
 */
import { is } from 'drizzle-orm';
import { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { SessionsTable } from './schema.js';
import type { Owner } from './session-store.js';

/**
 * Longest token, in UTF-8 bytes. A btree entry must stay under about 2.7 kB, so a longer
 * primary key would fail inside PostgreSQL; real tokens are 20 to 64 bytes.
 */
const MAX_TOKEN_BYTES = 1024;

/** Longest owner, in UTF-8 bytes: an indexed column too, and a user id is far shorter. */
const MAX_OWNER_BYTES = 1024;

/** `timestamptz` reaches further, but drivers send dates in ISO form, which has four-digit years. */
const EARLIEST_EXPIRY = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_EXPIRY = Date.parse('9999-12-31T23:59:59.999Z');

/** A time in milliseconds, moved into the range of expiries the store accepts. */
export const withinExpiryRange = (ms: number) => new Date(Math.min(Math.max(ms, EARLIEST_EXPIRY), LATEST_EXPIRY));

/** The kind of a value, and nothing of the value: for what may be a secret (a token, session data). */
export const describeType = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Longest string an error quotes; an option is not a document. */
const MAX_QUOTED = 60;

/**
 * The kind and the value of an option, for an error: `string "3600"`, `number -1`,
 * `undefined`, `array`. Strings are quoted, so '3600' and 3600 read differently.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'symbol':
      return value.toString();
    default:
      return describeType(value);
  }
}

/** Refuses anything that is not a string PostgreSQL `text` can hold exactly, of at most `maxBytes`. */
function checkText(what: string, value: unknown, maxBytes: number): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`drizzle-pgstore: ${what} must be a string, got ${describeType(value)}`);
  }
  if (value.includes('\0')) {
    throw new RangeError(`drizzle-pgstore: ${what} must not contain NUL (U+0000); PostgreSQL text cannot hold it`);
  }
  if (!value.isWellFormed()) {
    throw new RangeError(`drizzle-pgstore: ${what} must be well-formed Unicode; it has a lone surrogate`);
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) {
    throw new RangeError(`drizzle-pgstore: ${what} is ${bytes} bytes in UTF-8; at most ${maxBytes} are allowed`);
  }
}

/** Refuses anything that is not a token PostgreSQL `text` can hold exactly. */
export function checkToken(token: unknown): asserts token is string {
  checkText('token', token, MAX_TOKEN_BYTES);
}


/**
 * The text an owner is kept as, or an error naming what is wrong with it. A whole number
 * (a number that is a safe integer, or a bigint) is kept in decimal, so `42`, `42n` and
 * `'42'` are one owner, as a user's numeric id and its text are one user. A fraction, NaN
 * or a number past 2^53 is refused: it is no id, or not the id it was.
 */
export function ownerText(owner: unknown): string {
  if (typeof owner === 'bigint') return String(owner);
  if (typeof owner === 'number') {
    if (!Number.isSafeInteger(owner)) {
      throw new RangeError(
        `drizzle-pgstore: owner must be a string or a whole number, got number ${owner}` +
          (Number.isInteger(owner) ? ' (past 2^53 a number has lost digits: pass a bigint or a string)' : ''),
      );
    }
    return String(owner);
  }
  checkText('owner', owner, MAX_OWNER_BYTES);
  if (owner === '') throw new RangeError('drizzle-pgstore: owner must not be empty (null clears it)');
  return owner;
}

/** A token that a row can be written under: a valid one, and not empty. */
export function checkTokenToWrite(token: unknown): asserts token is string {
  checkToken(token);
  if (token === '') throw new RangeError('drizzle-pgstore: token must not be empty');
}

/** Refuses session data that is not bytes, or too many of them. */
export function checkData(data: unknown, maxBytes: number): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`drizzle-pgstore: data must be a Uint8Array, got ${describeType(data)}`);
  }
  if (data.byteLength > maxBytes) {
    throw new RangeError(`drizzle-pgstore: data is ${data.byteLength} bytes; at most ${maxBytes} are allowed`);
  }
}

/** Refuses an expiry that is not a real date PostgreSQL and the drivers agree on. */
export function checkExpiry(expiry: unknown): asserts expiry is Date {
  if (!(expiry instanceof Date)) {
    throw new TypeError(`drizzle-pgstore: expiry must be a Date, got ${describeValue(expiry)}`);
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
    throw new TypeError(`drizzle-pgstore: ${name} must be a boolean, got ${describeValue(value)}`);
  }
}

/**
 * The numbers a number option takes (a count, a size, a duration), for the one check that
 * the store, the express adapter and the command all make of them.
 */
export interface NumberRange {
  min: number;
  max: number;
  /** Whether fractions are refused. Default true. */
  integer?: boolean;
  /** What the number counts, for the message: `'milliseconds'`, `'seconds'`, `'bytes'`. */
  unit?: string;
  /** The range in words, for the message: `'100 years'`. */
  note?: string;
}

/** A range as a message gives it: "a whole number of milliseconds from 0 to 2147483647". */
export function describeRange({ min, max, integer = true, unit, note }: NumberRange): string {
  const kind = integer ? 'a whole number' : 'a number';
  return `${kind}${unit === undefined ? '' : ` of ${unit}`} from ${min} to ${max}${note === undefined ? '' : ` (${note})`}`;
}

/** Whether `value` is a number within `range` (so never NaN, nor infinite unless a bound is). */
export function isInRange(value: unknown, range: NumberRange): value is number {
  return (
    typeof value === 'number' &&
    value >= range.min &&
    value <= range.max &&
    (range.integer === false || Number.isInteger(value))
  );
}

/**
 * A whole number typed as text (a command-line option, an environment variable), or
 * undefined when the text is not one within `range`. Plain digits only: Number() would
 * also take '1e3', '0x10', ' 5' and ''.
 */
export function parseInRange(text: string, range: NumberRange): number | undefined {
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return isInRange(number, range) ? number : undefined;
}

/** Refuses a number option outside its range, naming the option, the range and what it got. */
export function checkRange(name: string, value: unknown, range: NumberRange): asserts value is number {
  if (!isInRange(value, range)) {
    throw new RangeError(`drizzle-pgstore: ${name} must be ${describeRange(range)}, got ${describeValue(value)}`);
  }
}

/** Refuses a callback option that is not a function. */
export function checkFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new TypeError(`drizzle-pgstore: ${name} must be a function, got ${describeValue(value)}`);
  }
}

/** Refuses a `table` that is not a sessions table: a table name given as a string, say. */
export function checkSessionsTable(table: unknown): asserts table is SessionsTable {
  const columns = table as Record<string, unknown>;
  if (is(table, PgTable) && is(columns.token, PgColumn) && is(columns.data, PgColumn) && is(columns.expiry, PgColumn)) return;
  throw new TypeError(
    `drizzle-pgstore: table must be a sessions table from defineSessionsTable() (or sessions), got ${
      is(table, PgTable) ? 'a table without token, data and expiry columns' : describeValue(table)
    }`,
  );
}

/** How many single-character edits turn one word into another (Levenshtein distance). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The one known name a misspelt name is close to, if exactly one is. */
function closestName(name: string, known: readonly string[]): string | undefined {
  const distances = known.map((candidate) => editDistance(name.toLowerCase(), candidate.toLowerCase()));
  const best = Math.min(...distances);
  const near = known.filter((_, i) => distances[i] === best);
  return best <= Math.max(2, Math.floor(name.length / 4)) && near.length === 1 ? near[0] : undefined;
}

/**
 * Refuses an options argument that is not an object, or that holds a name the class does
 * not know: a misspelt option would otherwise be ignored in silence and its default used.
 */
export function checkOptionNames(owner: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`drizzle-pgstore: ${owner} options must be an object, got ${describeValue(options)}`);
  }
  const unknown = Object.keys(options).find((name) => !known.includes(name));
  if (unknown === undefined) return;
  const near = closestName(unknown, known);
  throw new TypeError(
    `drizzle-pgstore: ${owner} has no option ${JSON.stringify(unknown)}${
      near === undefined ? `; its options are ${known.join(', ')}` : ` (did you mean "${near}"?)`
    }`,
  );
}
