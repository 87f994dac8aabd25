import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** uid and gid of the `postgres` OS user, which PostgreSQL and PgBouncer must run as when we are root. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

/**
 * Runs a program as the `postgres` user when this process is root (initdb refuses root),
 * as ourselves otherwise.
 */
export async function runAsPostgres(program: string, args: string[], timeout = 60_000) {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  return run(file, argv, { timeout });
}

/** A temporary folder the `postgres` user owns. */
export async function makePostgresDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  return dir;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A PostgreSQL 15 cluster of the test's own, in a temporary folder on a free port, so the
 * test may kill and restart it at will. The machine's shared server is never touched.
 */
export interface Cluster {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  /** Stops the server; `immediate` is a crash: no checkpoint, clients cut at once. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it if running and removes every file. */
  destroy(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const dir = await makePostgresDir('pgstore-faults-');
  const data = join(dir, 'data');
  const port = await freePort();
  await runAsPostgres(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // The socket lives in our folder, never in /var/run/postgresql beside the shared server's.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
  const pgCtl = (...args: string[]) => runAsPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, ...args]);
  let running = false;
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pgCtl('-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start');
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl('-m', mode, '-w', 'stop');
      running = false;
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
