// The package ships an ES module build and a CommonJS one, and one process may load both
// (an ES module app with a CommonJS dependency): each has its own class. A mark in the
// global symbol registry lets `instanceof` recognise an error made by either.
const storeClosed = Symbol.for('drizzle-pgstore.StoreClosedError');

/**
 * The errors a {@link PGStore} throws of its own. A failed query never leaves the store as
 * the driver's or drizzle's error: drizzle's message lists the query's parameters (the
 * token, the session bytes) and PostgreSQL's `detail` quotes whole rows, so each failure is
 * rebuilt here from what is safe to log.
 */

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
    Object.defineProperty(this, storeClosed, { value: true });
  }

  /** True for a StoreClosedError of either build (a subclass keeps the usual prototype check). */
  static override [Symbol.hasInstance](value: unknown): value is StoreClosedError {
    if (this !== StoreClosedError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && storeClosed in value;
  }
}

/**
 * What a {@link StoreQueryError} keeps of the driver's error: its name, its message (any
 * token, token hash or session data the store knew of replaced by `[redacted]`), its stack
 * frames, and only these fields, where the driver set them. The object names come under
 * node-postgres's and PGlite's names whatever the driver; postgres.js's own names
 * (`constraint_name`, …) are kept too. `detail`, `hint`, `where`, `query`, `parameters`
 * and every other field are left out: PostgreSQL's `detail` quotes the failing row, and
 * drivers attach the query's parameters.
 */
export interface DriverErrorSummary extends Error {
  /** SQLSTATE (e.g. `42P01`) or the driver's or Node's code (e.g. `ECONNREFUSED`, `CONNECTION_CLOSED`). */
  code?: string;
  /** PostgreSQL's severity, e.g. `ERROR` or `FATAL`. */
  severity?: string;
  /** The PostgreSQL source routine that raised it. */
  routine?: string;
  /** Names of the objects PostgreSQL says the error is about. */
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  /** Node's system error fields, on connection failures. */
  errno?: number | string;
  syscall?: string;
  address?: string;
  port?: number | string;
  /** postgres.js's names for the fields above. */
  schema_name?: string;
  table_name?: string;
  column_name?: string;
  data_type_name?: string;
  constraint_name?: string;
}

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

/**
 * Thrown (as a rejection) by a {@link PGStore} method whose query failed: the database
 * refused it, or the connection failed. It carries the driver's reason and code, never the
 * token, its hash or the session data, so it is safe to log and to show.
 *
 * @example
 * ```ts
 * try {
 *   await store.find(token);
 * } catch (error) {
 *   if (error instanceof StoreQueryError && error.code === '42P01') console.error('run the migrations first');
 *   // error.message: 'drizzle-pgstore: find failed: relation "sessions" does not exist'
 *   throw error;
 * }
 * ```
 */
export class StoreQueryError extends Error {
  override readonly name = 'StoreQueryError';
  /** The PGStore method whose query failed, e.g. `'find'`. */
  readonly method: string;
  /** The driver's code: SQLSTATE (e.g. `'42P01'`, `'23514'`), or e.g. `'ECONNREFUSED'`; undefined when it gave none. */
  readonly code: string | undefined;
  /** The driver's error, reduced to its reason and safe fields (see {@link DriverErrorSummary}). */
  declare readonly cause: DriverErrorSummary;

  constructor(method: string, cause: DriverErrorSummary) {
    super(`drizzle-pgstore: ${method} failed: ${cause.message}`, { cause });
    this.method = method;
    this.code = cause.code;
  }
}

/** What a failing call knew that must not show in its error. */
export interface CallSecrets {
  token?: string;
  /** What the table keys the token by (its hash with `hashTokens`). */
  key?: string;
  data?: Uint8Array;
}

/** A secret this short would also match ordinary words of a message; real tokens and sessions are longer. */
const MIN_SCRUBBED_LENGTH = 8;
const REDACTED = '[redacted]';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The forms the call's secrets may take in a message of at most `room` characters. */
function secretForms({ token, key, data }: CallSecrets, room: number): string[] {
  const forms = [token, key];
  // Data longer than the message cannot be in it whole; skip decoding megabytes for nothing.
  if (data && data.byteLength <= room) {
    try {
      forms.push(strictUtf8.decode(data));
    } catch {
      // Not text, so it can only show as hex.
    }
  }
  if (data && data.byteLength * 2 <= room) {
    // As PostgreSQL prints bytea: `\x` and hex digits.
    const hex = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
    forms.push(`\\x${hex}`, hex);
  }
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

/** drizzle's wrapper: the query, its parameters in the message, the driver's error as cause. */
const isDrizzleWrapper = (error: unknown): error is Error & { cause: unknown } =>
  error instanceof Error && error.cause !== undefined && 'params' in error && 'query' in error;

/** The driver's reason; Node's AggregateError (one per address tried) has an empty message. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reasonOf).join('; ');
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

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
