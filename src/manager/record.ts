/**
 * A session record in the table: `{ deadline, values, rememberMe? }` through the codec,
 * with the deadline as an ISO string, so a Go service with a JSON codec of the same shape
 * can read it too.
 */
import type { SessionCodec } from './codec.js';
import type { SessionRecord } from './session.js';

/** Why a stored session could not be read; names the reason, never the data. */
export class UnreadableSessionError extends Error {
  override readonly name = 'UnreadableSessionError';
}

export function encodeRecord(codec: SessionCodec, record: SessionRecord): Uint8Array {
  const stored: Record<string, unknown> = { deadline: record.deadline.toISOString(), values: record.values };
  if (record.rememberMe !== undefined) stored.rememberMe = record.rememberMe;
  return codec.encode(stored);
}

export function decodeRecord(codec: SessionCodec, bytes: Uint8Array): SessionRecord {
  let stored: Record<string, unknown>;
  try {
    stored = codec.decode(bytes);
  } catch (error) {
    // A parser's message may quote the bytes: keep only what kind of failure it was.
    const kind = error instanceof Error ? error.name : typeof error;
    throw new UnreadableSessionError(`drizzle-pgstore: a stored session could not be decoded (${kind}); the visitor gets a new session`);
  }
  const { deadline, values, rememberMe } = stored;
  const deadlineDate = typeof deadline === 'string' ? new Date(deadline) : deadline instanceof Date ? deadline : null;
  if (deadlineDate === null || Number.isNaN(deadlineDate.getTime())) {
    throw new UnreadableSessionError('drizzle-pgstore: a stored session has no valid deadline; the visitor gets a new session');
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new UnreadableSessionError('drizzle-pgstore: a stored session has no values object; the visitor gets a new session');
  }
  if (rememberMe !== undefined && typeof rememberMe !== 'boolean') {
    throw new UnreadableSessionError('drizzle-pgstore: a stored session has a rememberMe that is not a boolean; the visitor gets a new session');
  }
  const record: SessionRecord = { deadline: deadlineDate, values: values as Record<string, unknown> };
  if (rememberMe !== undefined) record.rememberMe = rememberMe;
  return record;
}
