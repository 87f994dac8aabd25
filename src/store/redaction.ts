/**
 * The redaction of driver errors: what a failed query leaves of the driver's error, so
 * that no token, token hash or session data the call knew of can leave the store in it.
 */
import { reasonOf } from '../error-text.js';
import { StoreQueryError, type DriverErrorSummary } from '../errors.js';

/** The fields of a driver's error that name things, never quote them (see {@link DriverErrorSummary}). */
const SAFE_FIELDS = [
  'code',
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'errno',
  'syscall',
  'address',
  'port',
  'schema_name',
  'table_name',
  'column_name',
  'data_type_name',
  'constraint_name',
] as const satisfies ReadonlyArray<keyof DriverErrorSummary>;

/** postgres.js's field names, and the names the other drivers use for the same fields. */
const COMMON_NAMES = {
  schema_name: 'schema',
  table_name: 'table',
  column_name: 'column',
  data_type_name: 'dataType',
  constraint_name: 'constraint',
} as const satisfies Partial<Record<keyof DriverErrorSummary, keyof DriverErrorSummary>>;

/** What a failing call knew that must not show in its error. */
export interface CallSecrets {
  token?: string | undefined;
  /** What the table keys the token by (its hash with `hashTokens`). */
  key?: string | undefined;
  data?: Uint8Array;
  /** The tokens and keys of the other calls that went in the same statement (a coalesced find or save). */
  others?: readonly string[];
  /** The data of the other calls that went in the same statement (a coalesced save). */
  othersData?: readonly Uint8Array[];
  /** Whose sessions these are: personal data (an email, a user id), not for logs. */
  owner?: string | undefined;
}

/**
 * The secrets of one call that went in a statement with others (a coalesced find, save or
 * delete): the batch's error may quote any of their tokens, so each caller's is scrubbed of all.
 */
export const batchSecrets = (call: { token: string; key: string }, batch: readonly { token: string; key: string }[]): CallSecrets => ({
  token: call.token,
  key: call.key,
  others: batch.flatMap((other) => [other.token, other.key]),
});

/** A secret this short would also match ordinary words of a message; real tokens and sessions are longer. */
const MIN_SCRUBBED_LENGTH = 8;
const REDACTED = '[redacted]';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The forms the call's secrets may take in a message of at most `room` characters. */
function secretForms({ token, key, data, owner, others = [], othersData = [] }: CallSecrets, room: number): string[] {
  const forms = [token, key, owner, ...others];
  for (const bytes of data ? [data, ...othersData] : othersData) forms.push(...dataForms(bytes, room));
  // Longest first, so a form inside another (a token inside the data) cannot leave the rest behind.
  return forms
    .filter((form): form is string => form !== undefined && form.length >= MIN_SCRUBBED_LENGTH)
    .sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: CallSecrets): string {
  let clean = text;
  for (const form of secretForms(secrets, text.length)) clean = clean.replaceAll(form, REDACTED);
  return clean;
}

/** The forms data may take in a message of at most `room` characters: as text, or as hex. */
function dataForms(data: Uint8Array, room: number): string[] {
  const forms: string[] = [];
  // Data longer than the message cannot be in it whole; skip decoding megabytes for nothing.
  if (data.byteLength <= room) {
    try {
      forms.push(strictUtf8.decode(data));
    } catch {
      // Not text, so it can only show as hex.
    }
  }
  if (data.byteLength * 2 <= room) {
    // As PostgreSQL prints bytea: `\x` and hex digits.
    const hex = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
    forms.push(`\\x${hex}`, hex);
  }
  return forms;
}

/** drizzle's wrapper: the query, its parameters in the message, the driver's error as cause. */
const isDrizzleWrapper = (error: unknown): error is Error & { cause: unknown } =>
  error instanceof Error && error.cause !== undefined && 'params' in error && 'query' in error;

/** A copy of the driver's error that holds nothing but its reason, its stack frames and its safe fields. */
function summarize(error: unknown, secrets: CallSecrets): DriverErrorSummary {
  const summary: DriverErrorSummary = new Error(scrub(reasonOf(error), secrets));
  if (!(error instanceof Error)) return summary;
  if (error.name) summary.name = error.name;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  summary.stack = scrub([`${summary.name}: ${summary.message}`, ...frames].join('\n'), secrets);
  const fields = error as unknown as Record<string, unknown>;
  for (const field of SAFE_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') Object.assign(summary, { [field]: scrub(value, secrets) });
    else if (typeof value === 'number') Object.assign(summary, { [field]: field === 'code' ? String(value) : value });
  }
  for (const [own, common] of Object.entries(COMMON_NAMES)) {
    const value = summary[own as keyof typeof COMMON_NAMES];
    if (value !== undefined && summary[common] === undefined) summary[common] = value;
  }
  return summary;
}

/**
 * The error a failed query leaves the store with: a {@link StoreQueryError} holding a
 * summary of the driver's error. drizzle's wrapper and the driver's error itself stay
 * behind, unreachable.
 */
export function queryError(method: string, error: unknown, secrets: CallSecrets = {}): StoreQueryError {
  return new StoreQueryError(method, summarize(isDrizzleWrapper(error) ? error.cause : error, secrets));
}
