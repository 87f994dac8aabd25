/**
 * What a request changed in a React Router session. React Router's `Session` keeps its data
 * in a Map of its own and tells nobody of `set`, `unset` or a flash read, so the storage
 * compares the data at commit with the data it loaded, key by key.
 */
import { jsonCodec } from '../../manager/codec.js';

/** The data as loaded (or last written): each top-level value as the codec keeps it. */
export type Snapshot = ReadonlyMap<string, string>;

/** One key this request set (to a new or changed value) or removed. */
export type KeyChange = { kind: 'set'; key: string; value: unknown } | { kind: 'delete'; key: string };

const text = new TextDecoder();

/** A value as the codec would store it; throws, naming the key, for a value it cannot keep. */
const encoded = (key: string, value: unknown) => text.decode(jsonCodec.encode({ [key]: value }));

export function snapshot(data: Record<string, unknown>): Snapshot {
  return new Map(Object.entries(data).map(([key, value]) => [key, encoded(key, value)]));
}

/** The keys of `data` that differ from `base`; a value changed in place counts, as it would be stored. */
export function changesSince(base: Snapshot, data: Record<string, unknown>): KeyChange[] {
  const changes: KeyChange[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (base.get(key) !== encoded(key, value)) changes.push({ kind: 'set', key, value });
  }
  for (const key of base.keys()) {
    if (!Object.hasOwn(data, key)) changes.push({ kind: 'delete', key });
  }
  return changes;
}
