import { describe, expect, it } from 'vitest';
import { oneLine } from '../src/error-text.js';

describe('an error on one line', () => {
  it('gives the reason of the innermost error among the causes', () => {
    const driver = new Error('relation "sessions" does not exist');
    const wrapper = new Error('Failed query: select … params: the-token', { cause: driver });
    expect(oneLine(new Error('outer', { cause: wrapper }))).toBe('relation "sessions" does not exist');
  });

  it('folds line breaks and runs of spaces', () => {
    expect(oneLine(new Error('first line\n  second\tline\n'))).toBe('first line second line');
  });

  it('reads an AggregateError with no message by the reasons it gathers', () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    expect(oneLine(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]))).toBe(
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
  });

  it('keeps the message of an error whose cause is no Error, and shows what is not an error', () => {
    expect(oneLine(new Error('cannot open PGlite at /x: ErrnoError 44', { cause: { errno: 44 } }))).toBe(
      'cannot open PGlite at /x: ErrnoError 44',
    );
    expect(oneLine('plain words')).toBe('plain words');
  });
});
