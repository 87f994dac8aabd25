/**
 * Sessions for React Router (7 and 8) and Remix: a `SessionStorage` made with React
 * Router's own `createSessionStorage` over a {@link PGStore}, so `getSession`,
 * `commitSession` and `destroySession` work as they do with the storages it ships. Only this
 * entry point (`drizzle-pgstore/react-router`) loads React Router.
 */
import { createSessionStorage, type SessionData, type SessionIdStorageStrategy, type SessionStorage } from 'react-router';
import { jsonCodec } from '../manager/codec.js';
import { isTokenShaped, newToken } from '../manager/token.js';
import { checkFunction, checkOptionNames, checkRange } from '../input.js';
import type { SaveOptions, SessionStore } from '../session-store.js';

/**
 * Options of {@link createPGSessionStorage}.
 *
 * @example
 * ```ts
 * const options: PGSessionStorageOptions = { store, cookie: { name: '__session', secrets: [secret], secure: true } };
 * ```
 */
export interface PGSessionStorageOptions<Data = SessionData> {
  /** Where sessions are kept: a PGStore. */
  store: SessionStore;
  /**
   * React Router's cookie, or its options. Give it `secrets`: a signed cookie brings back
   * only ids this storage issued.
   */
  cookie?: SessionIdStorageStrategy['cookie'];
  /**
   * Milliseconds a session lives when the cookie sets no expiry (no `maxAge` or `expires`).
   * Default 24 hours.
   */
  lifetime?: number;
  /**
   * Who a session belongs to, from its data, e.g. `(data) => data.userId`: written with every
   * commit (`null` or `undefined` clears it), for `store.sessionsOf` and `store.deleteOwner`.
   * Needs a table with an owner column (`defineSessionsTable(name, { owner: true })`).
   * Default: none; commits leave the owner as it is.
   */
  ownerOf?: (data: Partial<Data>) => string | null | undefined;
}

const DAY = 86_400_000;

/** Every option createPGSessionStorage takes, so that a misspelt one is refused rather than ignored. */
const OPTION_NAMES = Object.keys({ store: true, cookie: true, lifetime: true, ownerOf: true } satisfies Record<
  keyof PGSessionStorageOptions,
  true
>);

/**
 * A React Router `SessionStorage` whose sessions are rows of a sessions table. Session ids
 * are 32 random bytes in base64url, as the SessionManager makes them; data is JSON that
 * keeps `Date`s. A cookie holding anything else reads as no session, without a query.
 *
 * Like React Router's own storages, the last commit of a session wins: two requests that
 * change one session at once overwrite each other. The SessionManager does not.
 *
 * @example
 * ```ts
 * export const { getSession, commitSession, destroySession } = createPGSessionStorage({
 *   store: new PGStore(db),
 *   cookie: { name: '__session', httpOnly: true, secure: true, sameSite: 'lax', secrets: [process.env.SESSION_SECRET!] },
 * });
 * ```
 */
export function createPGSessionStorage<Data = SessionData, FlashData = Data>(
  options: PGSessionStorageOptions<Data>,
): SessionStorage<Data, FlashData> {
  checkOptionNames('createPGSessionStorage', options, OPTION_NAMES);
  const { store, cookie, lifetime = DAY, ownerOf } = options;
  for (const method of ['find', 'save', 'delete'] as const) {
    if (typeof store?.[method] !== 'function') {
      throw new TypeError(`drizzle-pgstore: createPGSessionStorage needs a store with ${method}(), such as a PGStore`);
    }
  }
  checkRange('lifetime', lifetime, { min: 1, max: 100 * 365.25 * DAY, unit: 'milliseconds', note: '100 years' });
  if (ownerOf !== undefined) checkFunction('ownerOf', ownerOf);
  const expiryOf = (expires: Date | undefined) => expires ?? new Date(Date.now() + lifetime);
  // With ownerOf, every write says whose the session is; without, the row keeps its owner.
  const ownerOptions = (data: Partial<Data>): SaveOptions => (ownerOf ? { owner: ownerOf(data) ?? null } : {});
  // React Router parses any cookie value into an id, garbage included: only our own shape is looked up.
  const isOurs = (id: unknown): id is string => typeof id === 'string' && isTokenShaped(id);
  const encode = (data: unknown) => jsonCodec.encode({ data });

  return createSessionStorage<Data, FlashData>({
    ...(cookie === undefined ? {} : { cookie }),
    async createData(data, expires) {
      const id = newToken();
      await store.save(id, encode(data), expiryOf(expires), ownerOptions(data));
      return id;
    },
    async readData(id) {
      if (!isOurs(id)) return null;
      const bytes = await store.find(id);
      if (bytes === null) return null;
      try {
        const { data } = jsonCodec.decode(bytes);
        return typeof data === 'object' && data !== null ? (data as never) : null;
      } catch {
        // Unreadable: the visitor gets a new session, as with a missing one.
        return null;
      }
    },
    async updateData(id, data, expires) {
      if (!isOurs(id)) return;
      await store.save(id, encode(data), expiryOf(expires), ownerOptions(data));
    },
    async deleteData(id) {
      if (isOurs(id)) await store.delete(id);
    },
  });
}
