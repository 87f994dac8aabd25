import {
  hashToken,
  type DeleteOwnerOptions,
  type Owner,
  type OwnedSession,
  type SaveOptions,
  type SessionsOfOptions,
  type SessionStore,
  type SessionWithExpiry,
  type TouchOptions,
} from '../../src/index.js';

/** One stored session. `version` changes on every write, as PostgreSQL's xmin does. */
export interface MemoryRow {
  data: Uint8Array;
  expiry: Date;
  version: number;
  owner: string | null;
}

/** Sessions in memory, by key: what several MemoryStores (app instances) share. */
export class MemoryTable {
  readonly rows = new Map<string, MemoryRow>();
  #writes = 0;

  /** Writes a row, as an UPDATE or INSERT would: a new version, the owner kept unless given. */
  write(key: string, data: Uint8Array, expiry: Date, owner?: Owner | null): void {
    const kept = owner === undefined ? (this.rows.get(key)?.owner ?? null) : owner === null ? null : String(owner);
    this.rows.set(key, { data, expiry, version: ++this.#writes, owner: kept });
  }
}

const copy = (bytes: Uint8Array) => new Uint8Array(bytes);

/**
 * A second SessionStore, to show that the adapters need the interface and nothing of
 * PGStore. Its semantics are PGStore's, with the app clock as its clock: live until the
 * expiry, touch with minChange, keys hashed with `hashTokens`, and copies of the bytes in
 * and out, so a caller changing its array afterwards changes nothing stored.
 */
export class MemoryStore implements SessionStore {
  readonly #table: MemoryTable;
  readonly #hashTokens: boolean;

  constructor(table = new MemoryTable(), { hashTokens = false } = {}) {
    this.#table = table;
    this.#hashTokens = hashTokens;
  }

  async find(token: string): Promise<Uint8Array | null> {
    const row = this.#live(token);
    return row ? copy(row.data) : null;
  }

  async findWithExpiry(token: string): Promise<SessionWithExpiry | null> {
    const row = this.#live(token);
    return row ? { data: copy(row.data), expiry: new Date(row.expiry) } : null;
  }

  async save(token: string, data: Uint8Array, expiry: Date, { owner }: SaveOptions = {}): Promise<void> {
    if (token === '') throw new RangeError('MemoryStore: token must not be empty');
    this.#table.write(this.#key(token), copy(data), new Date(expiry), owner);
  }

  async replace(token: string, expected: Uint8Array, data: Uint8Array, expiry: Date, { owner }: SaveOptions = {}): Promise<boolean> {
    const row = this.#live(token);
    if (!row || Buffer.compare(row.data, expected) !== 0) return false;
    this.#table.write(this.#key(token), copy(data), new Date(expiry), owner);
    return true;
  }

  async delete(token: string): Promise<void> {
    this.#table.rows.delete(this.#key(token));
  }

  async touch(token: string, expiry: Date, { minChange = 0 }: TouchOptions = {}): Promise<boolean> {
    const row = this.#live(token);
    if (!row || Math.abs(expiry.getTime() - row.expiry.getTime()) <= minChange) return false;
    this.#table.write(this.#key(token), row.data, new Date(expiry));
    return true;
  }

  async all(): Promise<Map<string, Uint8Array>> {
    return new Map(this.#liveRows().map(([key, row]) => [key, copy(row.data)]));
  }

  async tokens(): Promise<string[]> {
    return this.#liveRows().map(([key]) => key);
  }

  async count(): Promise<number> {
    return this.#liveRows().length;
  }

  async clear(): Promise<void> {
    this.#table.rows.clear();
  }

  async sessionsOf(owner: Owner, { current }: SessionsOfOptions = {}): Promise<OwnedSession[]> {
    const currentKey = current === undefined ? undefined : this.#key(current);
    return this.#liveRows()
      .filter(([, row]) => row.owner === String(owner))
      .sort(([, a], [, b]) => b.expiry.getTime() - a.expiry.getTime())
      .map(([key, row]) => ({ key, data: copy(row.data), expiry: new Date(row.expiry), current: key === currentKey }));
  }

  async deleteOwner(owner: Owner, { except }: DeleteOwnerOptions = {}): Promise<number> {
    const kept = except === undefined ? undefined : this.#key(except);
    const live = new Set(this.#liveRows().map(([key]) => key));
    let ended = 0;
    for (const [key, row] of this.#table.rows) {
      if (row.owner !== String(owner) || key === kept) continue;
      this.#table.rows.delete(key);
      if (live.has(key)) ended++;
    }
    return ended;
  }

  #key(token: string): string {
    return this.#hashTokens ? hashToken(token) : token;
  }

  #live(token: string): MemoryRow | undefined {
    if (token === '') return undefined;
    const row = this.#table.rows.get(this.#key(token));
    return row && Date.now() < row.expiry.getTime() ? row : undefined;
  }

  #liveRows(): Array<[string, MemoryRow]> {
    return [...this.#table.rows].filter(([, row]) => Date.now() < row.expiry.getTime());
  }
}
