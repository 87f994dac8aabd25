export {
  PGStore,
  type PGStoreOptions,
  type DeleteExpiredOptions,
  type TouchOptions,
  type SessionWithExpiry,
} from './store.js';
export { hashToken } from './token-hash.js';
export { CleanupScheduler, type CleanupRun, type CleanupSchedulerOptions } from './cleanup.js';
export { StoreClosedError, StoreQueryError, type DriverErrorSummary } from './errors.js';
export { MAX_TOKEN_BYTES, DEFAULT_MAX_DATA_BYTES } from './input.js';
export { sessions, defineSessionsTable, bytea, type SessionsTable, type SessionsTableOptions } from './schema.js';
export type { SessionDatabase } from './statements.js';
export { sessionStats, type SessionStats } from './stats.js';
export { SessionManager, SessionConflictError, type ManagerStore, type SessionHandler, type SessionManagerOptions } from './manager/manager.js';
export { Session, type SessionStatus } from './manager/session.js';
export type { SessionCookieOptions } from './manager/cookie.js';
export type { SessionCodec } from './manager/codec.js';
