import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../src/manager/codec.js';

const roundTrip = (record: Record<string, unknown>) => jsonCodec.decode(jsonCodec.encode(record));

describe('jsonCodec', () => {
  it('keeps plain data and Dates, nested in arrays and objects, as they were', () => {
    const record = {
      text: 'héllo 🌍',
      count: 42.5,
      yes: true,
      none: null,
      when: new Date('0001-01-01T00:00:00.000Z'),
      list: [1, 'two', { at: new Date('9999-12-31T23:59:59.999Z') }],
      nested: { deep: { deeper: [new Date(0)] } },
    };
    const back = roundTrip(record);
    expect(back).toEqual(record);
    expect((back.nested as { deep: { deeper: unknown[] } }).deep.deeper[0]).toBeInstanceOf(Date);
  });

  it('leaves out a property holding undefined, at any depth, as JSON does', () => {
    const back = roundTrip({ flash: { email: undefined, name: 'ada' }, gone: undefined, list: [{ at: undefined }] });
    expect(back).toStrictEqual({ flash: { name: 'ada' }, list: [{}] });
  });

  it.each([
    ['a function', () => 1, /is a function/],
    ['a symbol', Symbol('s'), /is a symbol/],
    ['NaN', Number.NaN, /is NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /is Infinity/],
    ['a bigint', 10n, /is a bigint/],
    ['a Map', new Map([['k', 'v']]), /is a Map/],
    ['a Set', new Set([1]), /is a Set/],
    ['a class instance', new (class Point {})(), /is a Point/],
    ['an invalid Date', new Date(Number.NaN), /invalid Date/],
    ['an object that would read back as a Date', { $date: '2020-01-01T00:00:00.000Z' }, /reads back as a Date/],
    ['an object that would read back as a Date once undefined is left out', { $date: 'x', other: undefined }, /reads back as a Date/],
  ])('refuses %s, naming its full path and not the value', (_what, value, message) => {
    expect(() => jsonCodec.encode({ secretKey: { inner: value } })).toThrow(message);
    expect(() => jsonCodec.encode({ secretKey: { inner: value } })).toThrow(/^session value at "secretKey\.inner" /);
  });

  it('names array items and keys that are not identifiers in the path', () => {
    expect(() => jsonCodec.encode({ cart: [1, { 'dark-mode': Number.NaN }] })).toThrow('session value at "cart[1]["dark-mode"]" is NaN');
  });

  it('refuses undefined in an array, and a hole, which JSON would read back as null', () => {
    expect(() => jsonCodec.encode({ list: [1, undefined] })).toThrow(/^session value at "list\[1\]" is undefined, which an array in JSON cannot hold/);
    // eslint-disable-next-line no-sparse-arrays
    expect(() => jsonCodec.encode({ list: [1, , 3] })).toThrow(/"list\[1\]" is undefined/);
  });

  it('keeps a key called __proto__ as a key', () => {
    const record = JSON.parse('{"values":{"__proto__":{"admin":true}}}') as Record<string, unknown>;
    const back = roundTrip(record) as { values: Record<string, unknown> };
    expect(Object.hasOwn(back.values, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses cycles, naming where', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => jsonCodec.encode({ cycle })).toThrow('session value at "cycle.self" contains itself, which JSON cannot hold');
  });

  it('refuses bytes that are not UTF-8, not JSON, or not an object', () => {
    expect(() => jsonCodec.decode(new Uint8Array([0xff, 0xfe]))).toThrow(TypeError);
    expect(() => jsonCodec.decode(new TextEncoder().encode('{nope'))).toThrow(SyntaxError);
    expect(() => jsonCodec.decode(new TextEncoder().encode('[1]'))).toThrow(/decoded to Array, not an object/);
    expect(() => jsonCodec.decode(new TextEncoder().encode('null'))).toThrow(/decoded to null/);
  });
});
