import { execFile } from 'node:child_process';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

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
  /** The TCP port it listens on, for a standby or a proxy to reach it. */
  readonly port: number;
  /** Stops the server; `immediate` is a crash: no checkpoint, clients cut at once. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Ends recovery of a standby, which then takes writes, and waits until it does. */
  promote(): Promise<void>;
  /** Stops it if running and removes every file. */
  destroy(): Promise<void>;
}

/** Server settings, given on the command line so that `pg_basebackup` never copies them to a standby. */
export type Settings = Record<string, string | number>;

/** Starts a server on a data folder that `prepare` fills, in a folder of its own. */
async function serveCluster(prepare: (data: string) => Promise<unknown>, settings: Settings): Promise<Cluster> {
  const dir = await makePostgresDir('pgstore-faults-');
  const data = join(dir, 'data');
  const port = await freePort();
  await prepare(data);
  // The socket lives in our folder, never in /var/run/postgresql beside the shared server's.
  const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`).join('');
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on${extra}`;
  const pgCtl = (...args: string[]) => runAsPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, ...args]);
  let running = false;
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await pgCtl('-o', serverOptions, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start');
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl('-m', mode, '-w', 'stop');
      running = false;
    },
    async promote() {
      await pgCtl('-w', '-t', '60', 'promote');
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

/** A fresh cluster (initdb, trust auth) with `settings` on top of the defaults. */
export function startCluster(settings: Settings = {}): Promise<Cluster> {
  return serveCluster(
    (data) => runAsPostgres(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']),
    settings,
  );
}

/**
 * A hot standby of `primary`, copied with `pg_basebackup` and streaming from it under
 * `applicationName` (the name `synchronous_standby_names` lists), through the port
 * `streamFrom` (a proxy in front of the primary, say). initdb's trust rules let
 * replication connections in from 127.0.0.1.
 */
export function startStandby(primary: Cluster, applicationName: string, streamFrom = primary.port): Promise<Cluster> {
  return serveCluster(async (data) => {
    await runAsPostgres(`${PG_BIN}/pg_basebackup`, ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-X', 'stream', '-R']);
    // -R wrote standby.signal and a primary_conninfo; this one, later in the file, wins and names us.
    await appendFile(
      join(data, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${streamFrom} user=postgres application_name=${applicationName}'\n`,
    );
  }, {});
}

/** Runs one statement on its own connection to `url`: for checks while servers come and go. */
export async function queryOnce<Row = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  // A server stopped under a closing client must not become an uncaught error.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}
