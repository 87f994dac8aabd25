export { PGStore, type PGStoreOptions, type DeleteExpiredOptions } from './store.js';
export type { SessionStore, SessionWithExpiry, TouchOptions } from './session-store.js';
export type { CleanupRun, CleanupStatus } from './cleanup.js';
export { hashToken } from './token-hash.js';
export { StoreClosedError, StoreQueryError, type DriverErrorSummary } from './errors.js';
export { sessions, defineSessionsTable, type SessionsTable, type SessionsTableOptions } from './schema.js';
export { migrations } from './migrations.js';
export type { SessionDatabase } from './statements.js';
export { sessionStats, type SessionStats } from './stats.js';
