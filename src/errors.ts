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
  }
}
