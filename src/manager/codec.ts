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

/** `path` with `key` after it, as code would write it: `flash.email`, `cart[2]`, `prefs["dark-mode"]`. */
function pathTo(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * `value` as JSON will hold it, checked: a property holding undefined is left out, as
 * `JSON.stringify` leaves it out; what JSON would drop or change without a word is refused
 * (undefined in an array, functions, symbols, bigints, NaN and the infinities, Maps, Sets and
 * class instances, invalid dates, cycles). Errors name the value's full path and its kind,
 * never the value: it is session data.
 */
function toJson(value: unknown, path: string, ancestors: object[]): unknown {
  const fail = (problem: string, at = path): never => {
    throw new TypeError(`session value at "${at}" ${problem}`);
  };
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail('is an invalid Date');
    return { [DATE_KEY]: value.toISOString() };
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : fail(`is ${String(value)}, which JSON cannot hold`);
    case 'object': {
      if (value === null) return null;
      if (ancestors.includes(value)) fail('contains itself, which JSON cannot hold');
      if (!Array.isArray(value) && !isPlainObject(value)) {
        fail(`is a ${kindOf(value)}; only plain objects, arrays and Dates keep their shape`);
      }
      ancestors.push(value);
      try {
        if (Array.isArray(value)) {
          // Array.from visits holes too: JSON would turn them, like undefined, into null.
          return Array.from(value as unknown[], (item, index) =>
            item === undefined
              ? fail('is undefined, which an array in JSON cannot hold (it would read back as null)', pathTo(path, index))
              : toJson(item, pathTo(path, index), ancestors),
          );
        }
        const entries = Object.entries(value).filter(([, item]) => item !== undefined);
        if (entries.length === 1 && entries[0]![0] === DATE_KEY) {
          fail(`is an object whose only key is "${DATE_KEY}", which reads back as a Date`);
        }
        // fromEntries defines each key, so a "__proto__" key stays a key.
        return Object.fromEntries(entries.map(([key, item]) => [key, toJson(item, pathTo(path, key), ancestors)]));
      } finally {
        ancestors.pop();
      }
    }
    default:
      return fail(`is ${value === undefined ? 'undefined' : `a ${kindOf(value)}`}, which JSON cannot hold`);
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
    return utf8.encode(JSON.stringify(toJson(record, '', [])));
  },
  decode(bytes) {
    const record: unknown = JSON.parse(strictUtf8.decode(bytes), reviver);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new TypeError(`a stored session decoded to ${kindOf(record)}, not an object`);
    }
    return record as Record<string, unknown>;
  },
};
