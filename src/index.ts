export { PGStore, type PGStoreOptions, type DeleteExpiredOptions } from './store.js';
export type { SessionStore, SessionWithExpiry, TouchOptions } from './session-store.js';
export { hashToken } from './token-hash.js';
export { CleanupScheduler, type CleanupRun, type CleanupSchedulerOptions } from './cleanup.js';
export { StoreClosedError, StoreQueryError, type DriverErrorSummary } from './errors.js';
export { MAX_TOKEN_BYTES, DEFAULT_MAX_DATA_BYTES } from './input.js';
export { sessions, defineSessionsTable, bytea, type SessionsTable, type SessionsTableOptions } from './schema.js';
export type { SessionDatabase } from './statements.js';
export { sessionStats, type SessionStats } from './stats.js';
