import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseUrl } from './support/backends.js';

const dist = new URL('../dist/index.js', import.meta.url).href;

/** Runs an ES module in a child Node process; resolves with its exit code and output, or kills it after `limitMs`. */
function runChild(source: string, env: Record<string, string> = {}, limitMs = 20_000) {
  return new Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, killed: signal === 'SIGKILL', stdout, stderr });
    });
  });
}

// Each child makes a store with cleanup on, lets it run, and never stops it.
const scenario = (setup: string) => `
import { migrations, PGStore } from ${JSON.stringify(dist)};
${setup}
const store = new PGStore(db, { cleanupInterval: 20 });
await store.save('t', new Uint8Array([1]), new Date(Date.now() + 60_000));
while (!store.cleanup.lastRun) await new Promise((resolve) => setTimeout(resolve, 10));
console.log('cleaned', store.cleanup.lastRun.deleted, store.cleanup.lastRun.error ?? 'ok');
`;

describe('a store that is never stopped', () => {
  // PGlite itself holds the process open after its first write until it is closed, which
  // is the app's job; the store is left running.
  it('does not keep a process on PGlite from exiting once the database is closed', async () => {
    const result = await runChild(
      scenario(`
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
const client = new PGlite();
const db = drizzle(client);
await migrate(db, migrations);
`).replace("console.log('cleaned'", "await client.close();\nconsole.log('cleaned'"),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('cleaned 0 ok');
    expect(result.killed).toBe(false);
    expect(result.code).toBe(0);
  });

  it('does not keep a process on node-postgres from exiting once the pool is idle', async () => {
    const schema = `pgstore_exit_${process.pid}`;
    const result = await runChild(
      scenario(`
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, options: '-c search_path=${schema}', allowExitOnIdle: true, idleTimeoutMillis: 100 });
await pool.query('CREATE SCHEMA IF NOT EXISTS ${schema}');
const db = drizzle(pool);
await migrate(db, { ...migrations, migrationsSchema: '${schema}' });
process.on('exit', () => console.log('exited'));
`),
      { DATABASE_URL: databaseUrl() },
    );
    const pool = new pg.Pool({ connectionString: databaseUrl() });
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('cleaned 0 ok');
    expect(result.stdout).toContain('exited');
    expect(result.killed).toBe(false);
    expect(result.code).toBe(0);
  });
});
