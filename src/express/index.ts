/**
 * `drizzle-pgstore/express`: the store that express-session and @fastify/session take.
 * Only this entry point loads express-session.
 */
export { ExpressSessionStore, type OwnedExpressSession } from './express-session-store.js';
export type { ExpressSessionStoreOptions, SessionSerializer } from './options.js';
