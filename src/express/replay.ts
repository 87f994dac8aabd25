/**
 * A request's change to a session as top-level keys, and that change played onto the row as
 * another request left it: how two requests that changed different keys both keep theirs.
 */
import { isDeepStrictEqual } from 'node:util';

type Values = Record<string, unknown>;

/** What one request did to a session's top-level keys: keys it set (added or changed) and keys it removed. */
export interface KeyChanges {
  readonly set: ReadonlyMap<string, unknown>;
  readonly removed: ReadonlySet<string>;
}

/**
 * The keys `mine` adds, changes or removes compared with `loaded`, both as the serializer
 * parsed them. `cookie` is left out: it is the middleware's, and always this request's.
 */
export function keyChanges(loaded: Values, mine: Values): KeyChanges {
  const set = new Map<string, unknown>();
  const removed = new Set<string>();
  for (const [key, value] of Object.entries(mine)) {
    if (key === 'cookie') continue;
    if (!Object.hasOwn(loaded, key) || !isDeepStrictEqual(loaded[key], value)) set.set(key, value);
  }
  for (const key of Object.keys(loaded)) if (key !== 'cookie' && !Object.hasOwn(mine, key)) removed.add(key);
  return { set, removed };
}

/**
 * `current` with `changes` played onto it and this request's `cookie`. Built from entries, so a
 * key such as `__proto__` stays a key and never becomes the object's prototype.
 */
export function replayChanges(current: Values, changes: KeyChanges, cookie: unknown): Values {
  const entries = new Map(Object.entries(current));
  for (const key of changes.removed) entries.delete(key);
  for (const [key, value] of changes.set) entries.set(key, value);
  entries.set('cookie', cookie);
  return Object.fromEntries(entries);
}
