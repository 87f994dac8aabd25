import { Socket } from 'node:net';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { SessionDatabase } from '../../src/index.js';

/** A Drizzle database no connection to can ever be made, counting the attempts. */
export interface UnreachableDatabase {
  readonly db: SessionDatabase;
  /** Connections tried so far: a call that sent a query tried one. */
  readonly connectionAttempts: number;
  close(): Promise<void>;
}

/**
 * For checks that must end before any query: a store over this database proves it sent
 * none when `connectionAttempts` stays 0, with no server to start. A query that is sent
 * fails as a refused connection would.
 */
export function unreachableDatabase(): UnreachableDatabase {
  let attempts = 0;
  const socket = () => {
    const stream = new Socket();
    return Object.assign(stream, {
      connect: () => {
        attempts++;
        process.nextTick(() => stream.destroy(Object.assign(new Error('connect ECONNREFUSED (a database tests never reach)'), { code: 'ECONNREFUSED' })));
        return stream;
      },
    });
  };
  const pool = new pg.Pool({ host: 'unreachable.invalid', user: 'nobody', database: 'nothing', stream: socket });
  return {
    db: drizzle(pool),
    get connectionAttempts() {
      return attempts;
    },
    close: () => pool.end(),
  };
}
