export { PGStore, type PGStoreOptions, type DeleteExpiredOptions } from './store/pg-store.js';
export type {
  DeleteOwnerOptions,
  OwnedSession,
  Owner,
  SaveOptions,
  SessionsOfOptions,
  SessionStore,
  SessionWithExpiry,
  TouchOptions,
} from './session-store.js';
export type { CleanupRun, CleanupStatus } from './store/cleanup.js';
export { UnreadableSessionDataError, type EncryptionKey, type UnreadableReason } from './store/encryption.js';
export type { ReencryptOptions, ReencryptProgress } from './store/encryption-rotation.js';
export { hashToken } from './token-hash.js';
export { StoreClosedError, StoreQueryError, type DriverErrorSummary } from './errors.js';
export {
  sessions,
  defineSessionsTable,
  type OwnedSessionsTable,
  type SessionsTable,
  type SessionsTableOptions,
} from './schema.js';
export { migrations, ownerMigrations } from './migrations.js';
export type { SessionDatabase } from './database.js';
export { sessionStats, type SessionStats } from './store/stats.js';
export { SessionManager, SessionConflictError, type SessionHandler, type SessionManagerOptions } from './manager/manager.js';
export { Session, type SessionStatus } from './manager/session.js';
export type { SessionCookie, SessionCookieAttributes, SessionCookieOptions } from './manager/cookie.js';
export type { SessionCodec } from './manager/codec.js';
