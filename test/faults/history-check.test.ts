import { describe, expect, it } from 'vitest';
import { checkNoAcknowledgedWriteLost, type Operation } from './support/load.js';

// The fault tests pass only if this checker can fail: these histories show that it does.
const save = (written: string, outcome: Operation['outcome'] = 'ok'): Operation => ({ store: 's', token: 't', kind: 'save', written, outcome });
const find = (read: string | null): Operation => ({ store: 's', token: 't', kind: 'find', read, outcome: 'ok' });
const del = (outcome: Operation['outcome'] = 'ok'): Operation => ({ store: 's', token: 't', kind: 'delete', outcome });
const check = (history: Operation[], found: string | null) => checkNoAcknowledgedWriteLost(history, new Map([['t', found]]));

describe('the no-lost-write checker', () => {
  it('accepts the last acknowledged write, and nothing older', () => {
    expect(check([save('a'), save('b')], 'b')).toEqual([]);
    expect(check([save('a'), save('b')], 'a')).toHaveLength(1);
    expect(check([save('a'), del()], null)).toEqual([]);
    expect(check([save('a'), del()], 'a')).toHaveLength(1);
    expect(check([save('a')], null)).toHaveLength(1);
  });

  it('accepts the value of a failed write after it, which may have committed', () => {
    expect(check([save('a'), save('b', 'error')], 'a')).toEqual([]);
    expect(check([save('a'), save('b', 'error')], 'b')).toEqual([]);
    expect(check([save('a'), del('error')], null)).toEqual([]);
    expect(check([save('a'), save('b', 'error')], 'c')).toHaveLength(1);
  });

  it('holds a find to what could be there, and narrows to what it saw', () => {
    expect(check([save('a'), find('a')], 'a')).toEqual([]);
    expect(check([save('a'), find(null)], null)).toHaveLength(1);
    expect(check([save('a'), save('b', 'error'), find('a')], 'b')).toHaveLength(1);
    expect(check([save('a'), save('b', 'error'), find('b')], 'b')).toEqual([]);
  });

  it('on a tail of a history, knows nothing until a call says what the token holds', () => {
    const tail = (history: Operation[], found: string | null) =>
      checkNoAcknowledgedWriteLost(history, new Map([['t', found]]), { from: 'unknown' });
    expect(tail([], 'x')).toEqual([]);
    expect(tail([find('x')], 'x')).toEqual([]);
    expect(tail([find('x')], 'y')).toHaveLength(1);
    expect(tail([save('a', 'error')], 'x')).toEqual([]);
    expect(tail([save('a')], 'x')).toHaveLength(1);
    expect(tail([find('x'), save('a', 'error'), find('y')], 'y')).toHaveLength(1);
  });
});
