/**
 * The contract of a session store, apart from any one implementation: what {@link PGStore}
 * keeps, and all that the adapters need of a store (as SCS's manager needs only its `Store`
 * interface). Tokens are opaque strings, data is bytes, an expiry is an absolute time.
 */

/** A live session as {@link SessionStore.findWithExpiry} gives it. */
export interface SessionWithExpiry {
  /** The session's bytes, as `find` gives them. */
  data: Uint8Array;
  /** When the session expires, as stored (to the millisecond); `touch` moves it. */
  expiry: Date;
}

/** Options of {@link SessionStore.touch}. */
export interface TouchOptions {
  /**
   * Leave the session alone unless its expiry would move by more than this many
   * milliseconds. Default 0: write whenever the expiry changes.
   */
  minChange?: number;
}

/**
 * Who a session belongs to, e.g. a user id: text, or a whole number (a safe integer or a
 * bigint), which is kept as its decimal text, so `42`, `42n` and `'42'` are one owner.
 */
export type Owner = string | number | bigint;

/** Options of {@link SessionStore.save}. */
export interface SaveOptions {
  /**
   * Who the session belongs to, e.g. a user id: an {@link Owner} sets it, `null` clears it (at
   * sign-out), absent keeps the one the session has (none for a new one). Needs a table
   * with an owner column: `defineSessionsTable(name, { owner: true })`.
   */
  owner?: Owner | null;
}

/** One of an owner's live sessions, as {@link SessionStore.sessionsOf} lists them. */
export interface OwnedSession {
  /** The key the session is kept under: its token, or the token's hash where the store hashes tokens. */
  key: string;
  /** The session's bytes. */
  data: Uint8Array;
  /** When it expires, as stored. */
  expiry: Date;
  /** Whether this is the session whose token was given as `current`. */
  current: boolean;
}

/** Options of {@link SessionStore.sessionsOf}. */
export interface SessionsOfOptions {
  /** The token of the session asking, so that its entry is marked `current`. */
  current?: string;
}

/** Options of {@link SessionStore.deleteOwner}. */
export interface DeleteOwnerOptions {
  /** The token of a session to keep, e.g. the one asking to sign out everywhere else. */
  except?: string;
}

/**
 * A place to keep sessions: the interface `ExpressSessionStore` and `SessionManager` take, which {@link PGStore}
 * implements. A session is live until its expiry; an expired or unknown session reads as
 * "not found" (`null`, or absent), never as an error, and an empty token is never a session.
 * Data handed in or out is the caller's: a store keeps and gives copies, or bytes nobody
 * else writes to.
 */
export interface SessionStore {
  /** The data of a live session, or `null` when the token is unknown, expired or empty. */
  find(token: string): Promise<Uint8Array | null>;

  /**
   * The data of a live session and the expiry it has now, or `null` as with {@link find}.
   * The expiry is the one `save` or a later `touch` gave it.
   */
  findWithExpiry(token: string): Promise<SessionWithExpiry | null>;

  /**
   * Adds a session, or replaces the data and expiry of an existing one, and sets, clears or
   * keeps its owner (see {@link SaveOptions}). Refuses an empty token.
   */
  save(token: string, data: Uint8Array, expiry: Date, options?: SaveOptions): Promise<void>;

  /**
   * Replaces the data and expiry of a live session only if its data is still `expected`,
   * and resolves to whether it did: the compare-and-swap `SessionManager` commits with.
   * The owner is set, cleared or kept as with {@link save}.
   */
  replace(token: string, expected: Uint8Array, data: Uint8Array, expiry: Date, options?: SaveOptions): Promise<boolean>;

  /** Removes a session; an unknown or empty token is not an error. */
  delete(token: string): Promise<void>;

  /**
   * Moves the expiry of a live session without changing its data, unless it would move by
   * `minChange` milliseconds or less, and resolves to whether it was written. An unknown or
   * expired session is not written (false), never created.
   */
  touch(token: string, expiry: Date, options?: TouchOptions): Promise<boolean>;

  /** Every live session, by the key it is kept under (the token, or its hash where the store hashes tokens). */
  all(): Promise<Map<string, Uint8Array>>;

  /** The keys of every live session, as `all()` gives them. */
  tokens(): Promise<string[]>;

  /** How many live sessions there are. */
  count(): Promise<number>;

  /** Removes every session, live or expired: everyone is signed out. */
  clear(): Promise<void>;

  /** The live sessions of `owner`, the latest expiry first. */
  sessionsOf(owner: Owner, options?: SessionsOfOptions): Promise<OwnedSession[]>;

  /**
   * Ends every session of `owner` (all but `except`, if given) and resolves to how many
   * live sessions that ended. A session saved for the owner before the call began does not
   * survive it.
   */
  deleteOwner(owner: Owner, options?: DeleteOwnerOptions): Promise<number>;
}
