// The package ships an ES module build and a CommonJS one, and one process may load both
// (an ES module app with a CommonJS dependency): each has its own class. A mark in the
// global symbol registry lets `instanceof` recognise an error made by either.
const storeClosed = Symbol.for('drizzle-pgstore.StoreClosedError');

/**
 * Thrown (as a rejection) by every method of a {@link PGStore} after `close()`.
 *
 * @example
 * ```ts
 * await store.close();
 * await store.find(token).catch((e) => e instanceof StoreClosedError); // true
 * ```
 */
export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';

  constructor(method: string) {
    super(`drizzle-pgstore: ${method}() called on a closed PGStore`);
    Object.defineProperty(this, storeClosed, { value: true });
  }

  /** True for a StoreClosedError of either build (a subclass keeps the usual prototype check). */
  static override [Symbol.hasInstance](value: unknown): value is StoreClosedError {
    if (this !== StoreClosedError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && storeClosed in value;
  }
}
