import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { pgTable, serial } from 'drizzle-orm/pg-core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  defineSessionsTable,
  PGStore,
  sessions,
  StoreQueryError,
  type DriverErrorSummary,
  type SessionDatabase,
  type SessionWithExpiry,
} from '../src/index.js';

// Checked by `npm run typecheck`; at run time these only show up as passing tests.
describe('public types', () => {
  const appSchema = { users: pgTable('users', { id: serial('id').primaryKey() }), sessions };

  it('accepts every Drizzle PostgreSQL database, with or without an app schema', () => {
    expectTypeOf<NodePgDatabase<typeof appSchema>>().toExtend<SessionDatabase>();
    expectTypeOf<NodePgDatabase>().toExtend<SessionDatabase>();
    expectTypeOf<PostgresJsDatabase<typeof appSchema>>().toExtend<SessionDatabase>();
    expectTypeOf<PgliteDatabase>().toExtend<SessionDatabase>();
  });

  it('gives the contract types, without any', () => {
    expectTypeOf<PGStore['find']>().returns.toEqualTypeOf<Promise<Uint8Array | null>>();
    expectTypeOf<PGStore['save']>().parameters.toEqualTypeOf<[string, Uint8Array, Date]>();
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

  it('types the table rows as the seed columns', () => {
    expectTypeOf<typeof sessions.$inferSelect>().toEqualTypeOf<{ token: string; data: Uint8Array; expiry: Date }>();
    const custom = defineSessionsTable('user_sessions', { schema: 'auth' });
    expectTypeOf<typeof custom.$inferInsert>().toEqualTypeOf<{ token: string; data: Uint8Array; expiry: Date }>();
    expectTypeOf<(typeof custom)['_']['name']>().toEqualTypeOf<'user_sessions'>();
  });
});
