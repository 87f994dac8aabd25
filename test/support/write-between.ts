import type { SessionDatabase } from '../../src/index.js';

/**
 * The same Drizzle database (same client, same tables, nothing mocked), except that the first
 * select that comes back with rows waits for `meanwhile` before its caller sees them. So a
 * write the test makes in `meanwhile` lands, every run, between a batch's read and what the
 * caller then writes from it: the race a compare-and-swap has to survive, without timing.
 */
export function writeBetweenReadAndWrite(db: SessionDatabase, meanwhile: () => Promise<void>): SessionDatabase {
  let waiting = true;
  const afterRows = async (rows: unknown) => {
    if (waiting && Array.isArray(rows) && rows.length > 0) {
      waiting = false;
      await meanwhile();
    }
    return rows;
  };
  // Wraps a query builder and whatever its methods return, so the chain ends in a wrapped `then`.
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return new Proxy(value, {
      get(target, property) {
        const member: unknown = Reflect.get(target, property, target);
        // Drizzle tells its builders apart by their constructor: leave it and symbols alone.
        if (typeof member !== 'function' || typeof property !== 'string' || property === 'constructor') return member;
        if (property === 'then') {
          return (onFulfilled?: (rows: unknown) => unknown, onRejected?: (error: unknown) => unknown) =>
            (member as Promise<unknown>['then']).call(target, afterRows).then(onFulfilled, onRejected);
        }
        return (...args: unknown[]) => wrap((member as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  };
  return new Proxy(db, {
    get(target, property) {
      const member: unknown = Reflect.get(target, property, target);
      if (property !== 'select' || typeof member !== 'function') return member;
      return (...args: unknown[]) => wrap((member as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
