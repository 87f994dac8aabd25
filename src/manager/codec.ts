/**
 * How a session's record becomes the bytes in the `data` column and back.
 */

/**
 * Turns a session's record into bytes and back. The record holds plain data: strings,
 * finite numbers, booleans, null, arrays, plain objects and `Date`s, which must come back
 * as `Date`s. `encode` throws on anything it cannot keep faithfully.
 *
 * @example
 * ```ts
 * import { pack, unpack } from 'msgpackr';
 * const codec: SessionCodec = { encode: (record) => pack(record), decode: (bytes) => unpack(bytes) };
 * ```
 */
export interface SessionCodec {
  encode(record: Record<string, unknown>): Uint8Array;
  decode(bytes: Uint8Array): Record<string, unknown>;
}

/** A `Date` in JSON: an object with this one key, holding the ISO string. */
const DATE_KEY = '$date';

const utf8 = new TextEncoder();
// fatal: bytes that are not UTF-8 are unreadable, not silently mangled.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** What a value is, for an error message that must not show the value itself. */
const kindOf = (value: unknown) =>
  value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;

/**
 * Refuses what JSON would drop or change without a word: undefined, functions, symbols,
 * NaN and the infinities, Maps, Sets and class instances, invalid dates. Errors name the
 * key and the kind of value, never the value: it is session data.
 */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) throw new TypeError(`session value at "${key}" is an invalid Date`);
    return { [DATE_KEY]: raw.toISOString() };
  }
  switch (typeof raw) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(raw)) throw new TypeError(`session value at "${key}" is ${String(raw)}, which JSON cannot hold`);
      return value;
    case 'object':
      if (raw === null || Array.isArray(raw)) return value;
      if (!isPlainObject(raw)) throw new TypeError(`session value at "${key}" is a ${kindOf(raw)}; only plain objects, arrays and Dates keep their shape`);
      if (Object.keys(raw).length === 1 && DATE_KEY in raw) {
        throw new TypeError(`session value at "${key}" is an object whose only key is "${DATE_KEY}", which reads back as a Date`);
      }
      return value;
    default:
      throw new TypeError(`session value at "${key}" is ${kindOf(raw) === 'undefined' ? 'undefined' : `a ${kindOf(raw)}`}, which JSON cannot hold`);
  }
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const iso = (value as Record<string, unknown>)[DATE_KEY];
    if (keys.length === 1 && typeof iso === 'string') return new Date(iso);
  }
  return value;
}

/**
 * The default codec: JSON as UTF-8, with `Date`s written as `{"$date": "<ISO>"}` so they
 * come back as `Date`s.
 */
export const jsonCodec: SessionCodec = {
  encode(record) {
    return utf8.encode(JSON.stringify(record, replacer));
  },
  decode(bytes) {
    const record: unknown = JSON.parse(strictUtf8.decode(bytes), reviver);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new TypeError(`a stored session decoded to ${kindOf(record)}, not an object`);
    }
    return record as Record<string, unknown>;
  },
};
