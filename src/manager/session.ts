/**
 * One visitor's session during one request: what was loaded, and the changes this request
 * made to it. The changes are kept as a list, not only applied, so that a commit can play
 * them again onto the row as another request left it (see commit.ts): two requests that
 * change different keys at once both keep their change.
 */
import { newToken } from './token.js';
import { describeType, withinExpiryRange } from '../input.js';

/** Where a session stands since it was loaded. */
export type SessionStatus = 'unmodified' | 'modified' | 'destroyed';

/** One change a request made, in the order it made them. */
export type Change =
  | { kind: 'set'; key: string; value: unknown }
  | { kind: 'delete'; key: string }
  | { kind: 'clear' }
  | { kind: 'rememberMe'; value: boolean };

/** What a session holds in the table: its values, its absolute deadline, and rememberMe. */
export interface SessionRecord {
  values: Record<string, unknown>;
  deadline: Date;
  rememberMe?: boolean;
}

/** The manager's view of a session: what it needs to commit it. Not part of the public API. */
export interface SessionState {
  /** The token the row was loaded under; null for a session that has no row. */
  loadedToken: string | null;
  /** The row's bytes as loaded, the version a commit expects to replace. */
  loadedBytes: Uint8Array | null;
  /** The row's expiry when it was loaded (or last written). */
  rowExpiry: Date | null;
  /** This request's changes since load (or since destroy). */
  changes: Change[];
  /** The row under `loadedToken` is to go: renewed or destroyed. */
  dropLoaded: boolean;
  /** Tokens of sessions merged into this one (`mergeSession`), deleted once it is written. */
  merged: string[];
}

/** Everything about a session that the manager reads and writes; the Session shows it. */
export interface SessionInternals {
  token: string | null;
  status: SessionStatus;
  record: SessionRecord;
  state: SessionState;
  lifetime: number;
  /** Copies a value as the codec will keep it, throwing when it cannot. */
  copy: (key: string, value: unknown) => unknown;
}

const internals = new WeakMap<object, SessionInternals>();

/** The manager's handle on a session. */
export function sessionInternals(session: object): SessionInternals {
  return internals.get(session)!;
}

/** Applies changes to a copy of `values`: how a commit replays a request onto the row as it is now. */
export function replay(record: SessionRecord, changes: readonly Change[]): SessionRecord {
  const values: Record<string, unknown> = { ...record.values };
  let { rememberMe } = record;
  for (const change of changes) {
    switch (change.kind) {
      case 'set':
        values[change.key] = change.value;
        break;
      case 'delete':
        delete values[change.key];
        break;
      case 'clear':
        for (const key of Object.keys(values)) delete values[key];
        break;
      case 'rememberMe':
        rememberMe = change.value;
        break;
    }
  }
  return rememberMe === undefined ? { values, deadline: record.deadline } : { values, deadline: record.deadline, rememberMe };
}

/**
 * A session, as `SessionManager.load` gives it. `Data` types its keys and values.
 *
 * Values are copied in on `set` (as the codec keeps them), so changing an object after
 * `set` changes nothing stored: `set` it again.
 *
 * @example
 * ```ts
 * const session = await manager.load(request);
 * session.set('userId', 42);
 * const flash = session.pop('flash');
 * ```
 */
export class Session<Data extends Record<string, unknown> = Record<string, unknown>> {
  /** @internal Made by the manager. */
  constructor(inner: SessionInternals) {
    internals.set(this, inner);
  }

  get #inner(): SessionInternals {
    return internals.get(this)!;
  }

  /** `unmodified`, `modified` (it will be written at commit) or `destroyed`. */
  get status(): SessionStatus {
    return this.#inner.status;
  }

  /** The token in the cookie: null before the first commit of a new session, or after destroy. */
  get token(): string | null {
    return this.#inner.token;
  }

  /** When the session ends however it is used: its creation (or last renewal) plus `lifetime`. */
  get deadline(): Date {
    return new Date(this.#inner.record.deadline);
  }

  /** The value under `key`, or undefined. */
  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    return this.#inner.record.values[key] as Data[K] | undefined;
  }

  /** Whether `key` holds a value. */
  has(key: keyof Data & string): boolean {
    return Object.hasOwn(this.#inner.record.values, key);
  }

  /** The keys that hold values, sorted. */
  keys(): Array<keyof Data & string> {
    return Object.keys(this.#inner.record.values).sort() as Array<keyof Data & string>;
  }

  /** Puts `value` under `key`. Throws, naming the key, when the codec cannot keep the value. */
  set<K extends keyof Data & string>(key: K, value: Data[K]): void {
    const kept = this.#inner.copy(checkKey(key), value);
    this.#change({ kind: 'set', key, value: kept });
    this.#inner.record.values[key] = kept;
  }

  /** Removes `key`; a missing key changes nothing. */
  delete(key: keyof Data & string): void {
    if (!this.has(checkKey(key))) return;
    this.#change({ kind: 'delete', key });
    delete this.#inner.record.values[key];
  }

  /** The value under `key`, removed: a flash message, read once. */
  pop<K extends keyof Data & string>(key: K): Data[K] | undefined {
    const value = this.get(key);
    this.delete(key);
    return value;
  }

  /** Removes every value; the session, its token and deadline stay. */
  clear(): void {
    if (Object.keys(this.#inner.record.values).length === 0) return;
    this.#change({ kind: 'clear' });
    this.#inner.record.values = {};
  }

  /**
   * Gives the session a new token, keeping its values, and starts its lifetime again. Call
   * it when the user signs in (or their privileges change), so a token planted before is
   * worth nothing after. The old row is deleted at commit.
   */
  async renewToken(): Promise<void> {
    const inner = this.#inner;
    inner.state.dropLoaded = inner.state.loadedToken !== null;
    inner.record.deadline = new Date(Date.now() + inner.lifetime);
    inner.token = newToken();
    inner.status = 'modified';
  }

  /**
   * Moves the session's absolute deadline (SCS's `SetDeadline`): it ends then however it is
   * used, and its cookie with it. With an idle timeout it may still end sooner, unused.
   *
   * @example
   * ```ts
   * session.setDeadline(new Date(Date.now() + 30 * 24 * 3_600_000)); // "keep me signed in for 30 days"
   * ```
   */
  setDeadline(deadline: Date): void {
    if (!(deadline instanceof Date) || Number.isNaN(deadline.getTime())) {
      throw new TypeError(`drizzle-pgstore: setDeadline takes a valid Date, got ${deadline instanceof Date ? 'an invalid Date' : describeType(deadline)}`);
    }
    if (deadline.getTime() <= Date.now()) {
      throw new RangeError('drizzle-pgstore: setDeadline takes a time in the future; to end the session now, call destroy()');
    }
    if (withinExpiryRange(deadline.getTime()).getTime() !== deadline.getTime()) {
      throw new RangeError('drizzle-pgstore: setDeadline takes a time before the year 10000, the latest expiry PostgreSQL keeps here');
    }
    const inner = this.#inner;
    inner.record.deadline = new Date(deadline);
    inner.status = 'modified';
  }

  /**
   * Ends the session: its row is deleted and the cookie expired at commit. Values set
   * afterwards start a new session with a new token.
   */
  destroy(): void {
    const inner = this.#inner;
    inner.state.dropLoaded = inner.state.loadedToken !== null;
    inner.state.changes = [];
    inner.record = { values: {}, deadline: new Date(Date.now() + inner.lifetime) };
    inner.token = null;
    inner.status = 'destroyed';
  }

  /**
   * Whether the cookie outlives the browser (`Max-Age`), for a manager whose `cookie.persist`
   * is false: "remember me" at sign-in.
   */
  rememberMe(remember: boolean): void {
    if (typeof remember !== 'boolean') throw new TypeError(`drizzle-pgstore: rememberMe takes a boolean, got ${typeof remember}`);
    this.#change({ kind: 'rememberMe', value: remember });
    this.#inner.record.rememberMe = remember;
  }

  #change(change: Change): void {
    this.#inner.state.changes.push(change);
    // After destroy, a change starts a new session: it is modified again.
    this.#inner.status = 'modified';
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`drizzle-pgstore: a session key must be a string, got ${typeof key}`);
  return key;
}
