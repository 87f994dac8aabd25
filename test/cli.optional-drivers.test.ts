import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTarget, type Target } from './support/cli.js';
import { repoRoot } from './support/packed-package.js';

// pg, postgres.js and PGlite are optional peers: an app installs the driver it uses, and the
// command must work with that one alone. Each case runs the built command (`npm test` builds it)
// from a copy of the package outside the repository, beside drizzle-orm and every driver
// but the one left out, so that one cannot be found at all.

const DRIVERS = ['pg', 'postgres', '@electric-sql/pglite'];

interface Install {
  dir: string;
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

async function installWithout(...missing: string[]): Promise<Install> {
  const dir = await mkdtemp(join(tmpdir(), 'pgstore-drivers-'));
  const pkg = join(dir, 'node_modules/drizzle-pgstore');
  for (const part of ['dist', 'drizzle', 'package.json']) await cp(join(repoRoot, part), join(pkg, part), { recursive: true });
  for (const name of ['drizzle-orm', ...DRIVERS.filter((driver) => !missing.includes(driver))]) {
    const link = join(dir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(repoRoot, 'node_modules', name), link, 'dir');
  }
  const cli = join(pkg, 'dist/cli/main.js');
  // Nothing above the copy may hold the missing drivers either.
  for (const name of missing) expect(() => createRequire(cli).resolve(name)).toThrow();
  const env = { ...process.env };
  delete env.DATABASE_URL;
  return {
    dir,
    run: (args) =>
      new Promise((resolve) => {
        execFile(process.execPath, [cli, ...args], { env, cwd: dir }, (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        });
      }),
  };
}

describe('the command without pg or postgres.js installed', () => {
  let install: Install;
  beforeAll(async () => {
    install = await installWithout('pg', 'postgres');
  });
  afterAll(() => install && rm(install.dir, { recursive: true, force: true }));

  it('says to install a driver when given a database URL', async () => {
    const result = await install.run(['stats', '--database-url', 'postgres://app:hunter2@127.0.0.1:1/app']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'drizzle-pgstore: a database URL (--database-url or DATABASE_URL) needs the package pg or postgres (postgres.js), and neither is installed here: npm install pg\n',
    });
  });

  it('works on a PGlite folder', { timeout: 120_000 }, async () => {
    const folder = join(install.dir, 'pglite');
    expect(await install.run(['migrate', '--pglite', folder])).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse((await install.run(['stats', '--json', '--pglite', folder])).stdout)).toMatchObject({ live: 0 });
  });
});

describe('the command with postgres.js and without pg', () => {
  let install: Install;
  let target: Target;
  beforeAll(async () => {
    install = await installWithout('pg');
    target = await postgresTarget();
  });
  afterAll(async () => {
    await target?.done();
    if (install) await rm(install.dir, { recursive: true, force: true });
  });

  it('migrates, counts, cleans up and reencrypts through postgres.js', { timeout: 120_000 }, async () => {
    const url = target.env!.DATABASE_URL!;
    expect(await install.run(['migrate', '--database-url', url])).toMatchObject({ code: 0, stderr: '' });
    await target.exec(`INSERT INTO sessions VALUES ('expired-row', '\\x00', now() - interval '1 hour'), ('live-row', '\\x00', now() + interval '1 hour')`);
    expect(JSON.parse((await install.run(['stats', '--json', '--database-url', url])).stdout)).toMatchObject({ live: 1, expired: 1 });
    expect(await install.run(['cleanup', '--database-url', url])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^deleted 1 expired rows/) });
    const unreachable = await install.run(['stats', '--database-url', 'postgres://app:hunter2@127.0.0.1:1/app']);
    expect(unreachable.stderr).toMatch(/^drizzle-pgstore: cannot connect to postgres:\/\/app@127\.0\.0\.1:1\/app: .*ECONNREFUSED/);
  });
});

describe('the command without PGlite installed', () => {
  let install: Install;
  beforeAll(async () => {
    install = await installWithout('@electric-sql/pglite');
  });
  afterAll(() => install && rm(install.dir, { recursive: true, force: true }));

  it('says to install PGlite when given --pglite, and makes no folder', async () => {
    const folder = join(install.dir, 'pglite');
    const result = await install.run(['migrate', '--pglite', folder]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drizzle-pgstore: --pglite needs the package @electric-sql/pglite, which is not installed here: npm install @electric-sql/pglite\n',
    });
    expect(await readdir(install.dir)).not.toContain('pglite');
  });
});
