/**
 * The errors a {@link PGStore} throws of its own. A failed query never leaves the store as
 * the driver's or drizzle's error: drizzle's message lists the query's parameters (the
 * token, the session bytes) and PostgreSQL's `detail` quotes whole rows, so each failure is
 * rebuilt (in redaction.ts) from what is safe to log.
 */

/**
 * `instanceof` for one of our error classes that holds across the package's two builds.
 * The package ships an ES module build and a CommonJS one, and one process may load both
 * (an ES module app with a CommonJS dependency): each has its own classes. A mark in the
 * global symbol registry, set on every instance, lets either build's class recognise an
 * error made by the other.
 */
function recognisedAcrossBuilds(name: string) {
  const mark = Symbol.for(`drizzle-pgstore.${name}`);
  return {
    mark(error: Error): void {
      Object.defineProperty(error, mark, { value: true });
    },
    /** `value instanceof Class`, asked of `asked`: a subclass keeps the usual prototype check. */
    isInstance(Class: Function, asked: Function, value: unknown): boolean {
      if (asked !== Class) return Function.prototype[Symbol.hasInstance].call(asked, value);
      return typeof value === 'object' && value !== null && mark in value;
    },
  };
}

const storeClosed = recognisedAcrossBuilds('StoreClosedError');

/** PostgreSQL's undefined_table: the sessions table was never made, or is not on the search_path. */
const UNDEFINED_TABLE = '42P01';
const MISSING_TABLE_HINT =
  ' (create the table: npx drizzle-pgstore migrate, or export { sessions } from \'drizzle-pgstore/schema\' in your ' +
  'Drizzle schema and run drizzle-kit generate and drizzle-kit migrate; see docs/schema.md)';
const storeQuery = recognisedAcrossBuilds('StoreQueryError');

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
    storeClosed.mark(this);
  }

  /** True for a StoreClosedError of either build. */
  static override [Symbol.hasInstance](value: unknown): value is StoreClosedError {
    return storeClosed.isInstance(StoreClosedError, this, value);
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
    super(`drizzle-pgstore: ${method} failed: ${cause.message}${cause.code === UNDEFINED_TABLE ? MISSING_TABLE_HINT : ''}`, { cause });
    this.method = method;
    this.code = cause.code;
    storeQuery.mark(this);
  }

  /** True for a StoreQueryError of either build. */
  static override [Symbol.hasInstance](value: unknown): value is StoreQueryError {
    return storeQuery.isInstance(StoreQueryError, this, value);
  }
}
