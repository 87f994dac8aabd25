import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { MigrationConfig } from 'drizzle-orm/migrator';
import { pgTable, serial } from 'drizzle-orm/pg-core';
import { describe, expectTypeOf, it } from 'vitest';
import type * as expressEntry from '../src/express/index.js';
import { ExpressSessionStore, type ExpressSessionStoreOptions, type SessionSerializer } from '../src/express/index.js';
import type * as mainEntry from '../src/index.js';
import {
  defineSessionsTable,
  hashToken,
  migrations,
  PGStore,
  sessions,
  StoreQueryError,
  type CleanupRun,
  type CleanupStatus,
  type DeleteExpiredOptions,
  type DriverErrorSummary,
  type PGStoreOptions,
  type OwnedSession,
  type Owner,
  type SaveOptions,
  type SessionDatabase,
  type SessionsTable,
  type SessionsTableOptions,
  type SessionStats,
  type SessionStore,
  type SessionWithExpiry,
  type TouchOptions,
} from '../src/index.js';
import type * as schemaEntry from '../src/schema.js';
import type { SessionManager } from '../src/index.js';
import type * as honoEntry from '../src/integrations/hono.js';
import type { SessionEnv } from '../src/integrations/hono.js';
import type * as reactRouterEntry from '../src/integrations/react-router.js';
import type { PGSessionStorageOptions } from '../src/integrations/react-router.js';
import type {
  SessionCodec,
  SessionCookieOptions,
  SessionHandler,
  SessionManagerOptions,
  SessionStatus,
} from '../src/index.js';

// What the entry points no longer export: each import must fail.
// @ts-expect-error internal: the store owns its scheduler and shows a CleanupStatus
import type { CleanupScheduler } from '../src/index.js';
// @ts-expect-error internal
import type { CleanupSchedulerOptions } from '../src/index.js';
// @ts-expect-error internal
import type { MAX_TOKEN_BYTES } from '../src/index.js';
// @ts-expect-error internal
import type { DEFAULT_MAX_DATA_BYTES } from '../src/index.js';
// @ts-expect-error a general column type the package does not own
import type { bytea } from '../src/index.js';
// @ts-expect-error internal
import type { SessionCallback } from '../src/express/index.js';
// @ts-expect-error internal
import type { DEFAULT_TTL_SECONDS } from '../src/express/index.js';
// @ts-expect-error internal
import type { DEFAULT_TOUCH_AFTER_SECONDS } from '../src/express/index.js';
// @ts-expect-error internal
import type { reportUnreadableSession } from '../src/express/index.js';
// @ts-expect-error import it from express-session
import type { SessionData } from '../src/express/index.js';

/** The type-only exports an app may name, so that dropping one fails the typecheck. */
export type PublicTypes = [
  PGStoreOptions,
  DeleteExpiredOptions,
  TouchOptions,
  SessionWithExpiry,
  SessionStore,
  CleanupRun,
  CleanupStatus,
  DriverErrorSummary,
  SessionsTable,
  SessionsTableOptions,
  SessionDatabase,
  SessionStats,
  ExpressSessionStoreOptions,
  SessionSerializer,
  SessionManagerOptions,
  SessionCookieOptions,
  SessionCodec,
  SessionHandler<Record<string, unknown>>,
  SessionStatus,
  SessionEnv,
  PGSessionStorageOptions,
];

// Checked by tsc, in `npm test` (vitest's typecheck mode) and `npm run typecheck`.
describe('public types', () => {
  it('exports exactly these values from each entry point', () => {
    expectTypeOf<keyof typeof mainEntry>().toEqualTypeOf<
      | 'PGStore'
      | 'Session'
      | 'SessionConflictError'
      | 'SessionManager'
      | 'StoreClosedError'
      | 'StoreQueryError'
      | 'UnreadableSessionDataError'
      | 'defineSessionsTable'
      | 'hashToken'
      | 'migrations'
      | 'ownerMigrations'
      | 'sessionStats'
      | 'sessions'
    >();
    expectTypeOf<keyof typeof expressEntry>().toEqualTypeOf<'ExpressSessionStore'>();
    expectTypeOf<keyof typeof schemaEntry>().toEqualTypeOf<'defineSessionsTable' | 'sessions'>();
    expectTypeOf<keyof typeof honoEntry>().toEqualTypeOf<'sessionMiddleware'>();
    expectTypeOf<keyof typeof reactRouterEntry>().toEqualTypeOf<'createPGSessionStorage'>();
  });

  it('types the adapter on the SessionStore interface, which PGStore implements', () => {
    expectTypeOf<PGStore>().toExtend<SessionStore>();
    expectTypeOf<ConstructorParameters<typeof ExpressSessionStore>[0]>().toEqualTypeOf<SessionStore>();
    expectTypeOf<ExpressSessionStore['store']>().toEqualTypeOf<SessionStore>();
    expectTypeOf<SessionStore['touch']>().parameters.toEqualTypeOf<[string, Date, (TouchOptions | undefined)?]>();
  });

  it('shows the cleanup as a read-only status, hashes synchronously, and hands migrations to any migrator', () => {
    expectTypeOf<PGStore['cleanup']>().toEqualTypeOf<CleanupStatus>();
    expectTypeOf<CleanupStatus>().toEqualTypeOf<{
      readonly lastRun: CleanupRun | undefined;
      readonly running: boolean;
      readonly stopped: boolean;
    }>();
    expectTypeOf(hashToken).toEqualTypeOf<(token: string) => string>();
    expectTypeOf(migrations).toExtend<MigrationConfig>();
    expectTypeOf(migrations).toEqualTypeOf<{ readonly migrationsFolder: string; readonly migrationsTable: string }>();
  });

  const appSchema = { users: pgTable('users', { id: serial('id').primaryKey() }), sessions };

  it('accepts every Drizzle PostgreSQL database, with or without an app schema', () => {
    expectTypeOf<NodePgDatabase<typeof appSchema>>().toExtend<SessionDatabase>();
    expectTypeOf<NodePgDatabase>().toExtend<SessionDatabase>();
    expectTypeOf<PostgresJsDatabase<typeof appSchema>>().toExtend<SessionDatabase>();
    expectTypeOf<PgliteDatabase>().toExtend<SessionDatabase>();
  });

  it('gives the contract types, without any', () => {
    expectTypeOf<PGStore['find']>().returns.toEqualTypeOf<Promise<Uint8Array | null>>();
    expectTypeOf<PGStore['save']>().parameters.toEqualTypeOf<[string, Uint8Array, Date, (SaveOptions | undefined)?]>();
    expectTypeOf<PGStore['sessionsOf']>().returns.toEqualTypeOf<Promise<OwnedSession[]>>();
    expectTypeOf<OwnedSession>().toEqualTypeOf<{ key: string; data: Uint8Array; expiry: Date; current: boolean }>();
    expectTypeOf<PGStore['deleteOwner']>().returns.toEqualTypeOf<Promise<number>>();
    // A numeric user id is an owner as it is, in every place that takes one.
    expectTypeOf<Owner>().toEqualTypeOf<string | number | bigint>();
    expectTypeOf<PGStore['deleteOwner']>().parameter(0).toEqualTypeOf<Owner>();
    expectTypeOf<SessionStore['sessionsOf']>().parameter(0).toEqualTypeOf<Owner>();
    expectTypeOf<ExpressSessionStore['deleteOwner']>().parameter(0).toEqualTypeOf<Owner>();
    expectTypeOf<NonNullable<SaveOptions['owner']>>().toEqualTypeOf<Owner>();
    expectTypeOf<ReturnType<NonNullable<ExpressSessionStoreOptions['ownerOf']>>>().toEqualTypeOf<Owner | null | undefined>();
    expectTypeOf<ReturnType<NonNullable<SessionManagerOptions<{ userId: number }>['ownerOf']>>>().toEqualTypeOf<Owner | null | undefined>();
    expectTypeOf<ReturnType<NonNullable<PGSessionStorageOptions<{ userId: number }>['ownerOf']>>>().toEqualTypeOf<Owner | null | undefined>();
    expectTypeOf(defineSessionsTable('s', { owner: true })).toExtend<SessionsTable<'s'>>();
    expectTypeOf(defineSessionsTable('s', { owner: true }).owner.dataType).toEqualTypeOf<'string'>();
    expectTypeOf<PGStore['save']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<PGStore['delete']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<PGStore['all']>().returns.toEqualTypeOf<Promise<Map<string, Uint8Array>>>();
    expectTypeOf<PGStore['deleteExpired']>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<PGStore['stopCleanup']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<PGStore['findWithExpiry']>().returns.toEqualTypeOf<Promise<SessionWithExpiry | null>>();
    expectTypeOf<SessionWithExpiry>().toEqualTypeOf<{ data: Uint8Array; expiry: Date }>();
  });

  it('types a failed query as StoreQueryError with the driver code and a summary as cause', () => {
    expectTypeOf<StoreQueryError>().toExtend<Error>();
    expectTypeOf<StoreQueryError['code']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<StoreQueryError['method']>().toEqualTypeOf<string>();
    expectTypeOf<StoreQueryError['cause']>().toEqualTypeOf<DriverErrorSummary>();
    expectTypeOf<DriverErrorSummary['code']>().toEqualTypeOf<string | undefined>();
  });

  it('types the table rows as the documented columns', () => {
    expectTypeOf<typeof sessions.$inferSelect>().toEqualTypeOf<{ token: string; data: Uint8Array; expiry: Date }>();
    const custom = defineSessionsTable('user_sessions', { schema: 'auth' });
    expectTypeOf<typeof custom.$inferInsert>().toEqualTypeOf<{ token: string; data: Uint8Array; expiry: Date }>();
    expectTypeOf<(typeof custom)['_']['name']>().toEqualTypeOf<'user_sessions'>();
  });

  it('types session values by the manager\'s Data', () => {
    type Data = { userId: number; flash?: string };
    const manager = null as unknown as SessionManager<Data>;
    type Loaded = Awaited<ReturnType<typeof manager.load>>;
    expectTypeOf<ReturnType<Loaded['get']>>().toEqualTypeOf<number | string | undefined>();
    // Never called: the checks are the compiler's.
    const check = (session: Loaded) => {
      expectTypeOf(session.get('userId')).toEqualTypeOf<number | undefined>();
      expectTypeOf(session.pop('flash')).toEqualTypeOf<string | undefined>();
      // @ts-expect-error a value of the wrong type
      session.set('userId', 'forty-two');
      // @ts-expect-error a key Data does not have
      session.set('other', 1);
    };
    expectTypeOf(check).toBeFunction();
  });
});
