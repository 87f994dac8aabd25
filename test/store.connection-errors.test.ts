import { createServer, Socket, type AddressInfo, type LookupFunction } from 'node:net';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGStore, StoreQueryError, type SessionDatabase } from '../src/index.js';
import { expectNoSecret, secretSession } from './support/secrets.js';

/** A port nothing listens on: one a server had, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves every name to two loopback addresses, so that Node tries both and fails with an AggregateError. */
const twoAddresses: LookupFunction = (_host, _options, callback) =>
  (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [
    { address: '127.0.0.1', family: 4 },
    { address: '127.0.0.2', family: 4 },
  ]);

/** A node-postgres socket that connects through {@link twoAddresses}. */
function socketTryingTwoAddresses(): Socket {
  const socket = new Socket();
  const connect = socket.connect.bind(socket) as (options: object) => Socket;
  return Object.assign(socket, {
    connect: (port: number, host: string) => connect({ port, host, lookup: twoAddresses, autoSelectFamily: true }),
  });
}

// Connection failures carry the driver's code and Node's fields, and no secret.
describe('StoreQueryError on a connection that fails', () => {
  let port: number;
  const closers: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    port = await closedPort();
  });
  afterAll(async () => {
    for (const close of closers) await close();
  });

  const failureOf = async (db: SessionDatabase) => {
    const session = await secretSession();
    const store = new PGStore(db, { cleanupInterval: 0 });
    closers.push(() => store.close());
    const error = await store.save(session.token, session.data, new Date(Date.now() + 60_000)).catch((e: unknown) => e);
    expectNoSecret(error, session, 'connection error');
    expect(error).toBeInstanceOf(StoreQueryError);
    return error as StoreQueryError;
  };

  it('node-postgres: ECONNREFUSED, with syscall, address and port', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
    closers.push(() => pool.end());
    const error = await failureOf(drizzleNodePostgres(pool));
    expect(error.message).toBe(`drizzle-pgstore: save failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port });
  });

  it('node-postgres: an AggregateError, whose message is empty, still names each reason', async () => {
    const pool = new pg.Pool({ host: 'db.internal', port, user: 'postgres', database: 'test', stream: socketTryingTwoAddresses });
    closers.push(() => pool.end());
    const error = await failureOf(drizzleNodePostgres(pool));
    expect(error.message).toBe(
      `drizzle-pgstore: save failed: connect ECONNREFUSED 127.0.0.1:${port}; connect ECONNREFUSED 127.0.0.2:${port}`,
    );
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('postgres.js: ECONNREFUSED, with address and port', async () => {
    const client = postgres({ host: '127.0.0.1', port, user: 'postgres', database: 'test', onnotice: () => {}, connect_timeout: 5 });
    closers.push(() => client.end());
    const error = await failureOf(drizzlePostgresJs(client));
    expect(error.message).toMatch(new RegExp(`^drizzle-pgstore: save failed: .*ECONNREFUSED.*${port}`));
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port });
  });
});
