import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, makePostgresDir, runAsPostgres } from './cluster.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `pgbouncer --version`, first line. */
  readonly version: string;
  /** URL of a database alias (or a server database of that name) through the bouncer. */
  url(alias: string): string;
  /**
   * Leads every database to another server, as an operator does after a failover: rewrites
   * the configuration and sends RELOAD on the admin console.
   */
  repoint(server: { host: string; port: number }): Promise<void>;
  /** Stops the bouncer (by the pid it wrote) and removes its folder. */
  stop(): Promise<void>;
}

/** A database alias: the server database it leads to, and its server connection pool size. */
export interface BouncerDatabase {
  alias: string;
  dbname: string;
  poolSize: number;
}

/**
 * Debian's PgBouncer in transaction pool mode, on a free port, in front of the server at
 * `host:port`, with trust auth. Every server database is reachable under its own name;
 * `databases` adds aliases with pools of their own size; `settings` go in its [pgbouncer] section.
 */
export async function startPgBouncer(
  server: { host: string; port: number },
  databases: BouncerDatabase[] = [],
  settings: Record<string, string | number> = {},
): Promise<PgBouncer> {
  const dir = await makePostgresDir('pgstore-bouncer-');
  const port = await freePort();
  const pidfile = join(dir, 'pgbouncer.pid');
  const ini = join(dir, 'pgbouncer.ini');
  await writeFile(join(dir, 'users.txt'), '"postgres" ""\n', { mode: 0o644 });
  const configure = (target: { host: string; port: number }) =>
    writeFile(
      ini,
      [
        '[databases]',
        // Any other database name leads to the server database of that name.
        `* = host=${target.host} port=${target.port}`,
        ...databases.map(
          (db) => `${db.alias} = host=${target.host} port=${target.port} dbname=${db.dbname} pool_size=${db.poolSize}`,
        ),
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        `unix_socket_dir = ${dir}`,
        'auth_type = trust',
        `auth_file = ${join(dir, 'users.txt')}`,
        'admin_users = postgres',
        'pool_mode = transaction',
        'max_client_conn = 200',
        // Drivers send these at startup; PgBouncer refuses unknown ones unless told to ignore them.
        'ignore_startup_parameters = extra_float_digits,options',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pidfile = ${pidfile}`,
        ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
  await configure(server);
  const { stdout } = await runAsPostgres(PGBOUNCER, ['--version']);
  await runAsPostgres(PGBOUNCER, ['-d', ini]);
  // The daemon forks, then writes its pid and listens.
  let pid = 0;

  const bouncer: PgBouncer = {
    version: stdout.split('\n')[0]!.trim(),
    url: (alias) => `postgres://postgres@127.0.0.1:${port}/${alias}`,
    async repoint(target) {
      await configure(target);
      const console = new pg.Client({ connectionString: bouncer.url('pgbouncer') });
      await console.connect();
      try {
        await console.query('RELOAD');
      } finally {
        await console.end();
      }
    },
    async stop() {
      try {
        if (pid === 0) pid = Number((await readFile(pidfile, 'utf8')).trim());
        process.kill(pid, 'SIGTERM');
        // Wait until it is gone, so the server databases behind it can be dropped.
        for (let i = 0; i < 100; i++) {
          process.kill(pid, 0);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } catch {
        // kill(pid, 0) throws once the process has exited.
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  // Wait until it has written its pid and a client gets through.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: bouncer.url('postgres') });
    client.on('error', () => {});
    try {
      pid = Number((await readFile(pidfile, 'utf8')).trim());
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return bouncer;
    } catch (error) {
      await client.end().catch(() => {});
      if (attempt > 100) {
        const log = await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '(no log)');
        await bouncer.stop().catch(() => {});
        throw new Error(`PgBouncer did not come up: ${String(error)}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
