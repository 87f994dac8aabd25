/**
 * Astro's session driver interface over a session store: Astro hands the driver its
 * session ID and the session serialised as text, and decides itself when to write.
 */
import { oneLine } from '../../error-text.js';
import type { SessionStore } from '../../session-store.js';
import { checkOptionNames, describeType } from '../../input.js';
import { checkTtl, DEFAULT_TTL, type SessionDriverOptions } from './options.js';

/**
 * What Astro asks of a session driver (its `SessionDriver`): Astro calls these with the
 * session ID from its cookie, a random UUID, and never with a TTL.
 */
export interface AstroSessionDriver {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: unknown): Promise<void>;
  removeItem(key: string): Promise<void>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * A session driver over a store: each Astro session is a row keyed by its session ID
 * (hashed, with a PGStore made with `hashTokens: true`), whose expiry is `ttl` seconds after
 * its last write. For a driver module of your own, over a database you already open.
 *
 * @example
 * ```ts
 * // src/session-driver.ts, named by astro.config's
 * // session: { driver: { entrypoint: new URL('./src/session-driver.ts', import.meta.url), config: { ttl: 3600 } } }
 * import { PGStore } from 'drizzle-pgstore';
 * import { createSessionDriver } from 'drizzle-pgstore/astro';
 * import { db } from './db';
 * const store = new PGStore(db, { hashTokens: true });
 * export default (config?: { ttl?: number }) => createSessionDriver(store, config);
 * ```
 */
export function createSessionDriver(
  store: Pick<SessionStore, 'find' | 'save' | 'delete'>,
  options: SessionDriverOptions = {},
): AstroSessionDriver {
  for (const method of ['find', 'save', 'delete'] as const) {
    if (typeof store?.[method] !== 'function') {
      throw new TypeError(`drizzle-pgstore: createSessionDriver needs a store with ${method}(), such as a PGStore`);
    }
  }
  checkOptionNames('createSessionDriver', options, ['ttl']);
  const { ttl = DEFAULT_TTL } = options;
  checkTtl(ttl);
  // Astro removes the session a regenerate() replaced without waiting for it; a request that
  // still carries the old ID waits here, so in this process the old ID is dead once replaced.
  const removals = new Map<string, Promise<void>>();
  return {
    async getItem(key) {
      await removals.get(key);
      const bytes = await store.find(key);
      return bytes && fromUtf8.decode(bytes);
    },
    async setItem(key, value) {
      if (typeof value !== 'string') {
        throw new TypeError(`drizzle-pgstore: an Astro session is stored as text, got ${describeType(value)}`);
      }
      await store.save(key, utf8.encode(value), new Date(Date.now() + ttl * 1000));
    },
    removeItem(key) {
      // Astro goes on whether a removal fails or not, and logs a failed one with the session
      // ID, a credential: so the failure is told here, without the ID, and not passed on.
      const removal = store
        .delete(key)
        .catch((error: unknown) => {
          console.error(`drizzle-pgstore: a session could not be deleted, and lives until it expires: ${oneLine(error)}`);
        })
        .finally(() => {
          if (removals.get(key) === removal) removals.delete(key);
        });
      removals.set(key, removal);
      return removal;
    },
  };
}
