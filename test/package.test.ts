import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFromCheckout, repoRoot, type PackedPackage } from './support/packed-package.js';
import { installScratchApp, TYPESCRIPT_5, type CommandResult, type ScratchApp } from './support/scratch-app.js';
import { checkTypeProjects, node10Projects, typeProjects } from './support/type-projects.js';

// The package as an app gets it: packed by npm from a checkout without dist/ (as npm does
// for a git or path dependency), installed with npm into an app outside the repository,
// then run and type-checked there. Everything lives in one temporary folder.

/** The compilers the types are checked with, each with the settings it still supports. */
const compilers = [
  { version: '7', tsc: () => join(repoRoot, 'node_modules/typescript/bin/tsc'), projects: typeProjects },
  {
    version: TYPESCRIPT_5,
    tsc: () => join(app.dir, 'node_modules/typescript/bin/tsc'),
    projects: [...typeProjects, ...node10Projects],
  },
];

let work: string;
let packed: PackedPackage;
let app: ScratchApp;
const typeChecks = new Map<string, Promise<Record<string, string>>>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pgstore-package-'));
  packed = await packFromCheckout(work);
  await mkdir(join(work, 'app'));
  app = await installScratchApp(join(work, 'app'), packed.tarball);
  // Started here, so they run beside the tests that run the app; the type tests await them.
  for (const { version, tsc, projects } of compilers) {
    typeChecks.set(version, checkTypeProjects(tsc(), join(app.dir, `types-${version}`), projects));
  }
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** What an entry point resolves to in the app: a file of the installed package's dist/. */
const builtFile = (file: string) => expect.stringMatching(new RegExp(`node_modules/drizzle-pgstore/dist/${file.replace('.', '\\.')}$`));

/** The JSON line a fixture script printed; its stderr in full when it failed. */
function report(result: CommandResult): Record<string, unknown> {
  if (result.code !== 0 || result.stderr !== '') throw new Error(`the script failed (exit ${result.code}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('the packed tarball', () => {
  it('holds what prepack built: both formats of every entry point, with types, and the command', () => {
    for (const entry of ['index', 'express/index', 'integrations/hono', 'integrations/react-router', 'schema']) {
      for (const extension of ['.js', '.d.ts', '.cjs', '.d.cts']) expect(packed.files).toContain(`dist/${entry}${extension}`);
    }
    expect(packed.files).toContain('dist/cli/main.js');
    expect(packed.files).toContain('drizzle/meta/_journal.json');
    expect(packed.files).toContain('drizzle-owner/meta/_journal.json');
  });

  it('holds no tests and nothing of the repository tooling', () => {
    const strays = packed.files.filter((file) => /^(test|scripts|examples|bench|docs)\/|\.test\.|tsbuildinfo|^tsconfig/.test(file));
    expect(strays).toEqual([]);
  });
});

describe('an app that installed the tarball', { timeout: 120_000 }, () => {
  it('installed it with --strict-allow-scripts, without a word: the package carries no install script', async () => {
    expect(app.installWarnings).toBe('');
    const manifest = JSON.parse(await readFile(join(app.dir, 'node_modules/drizzle-pgstore/package.json'), 'utf8')) as { scripts?: Record<string, string> };
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts ?? {}).not.toHaveProperty(hook);
  });

  it('runs the command: npx drizzle-pgstore --help', async () => {
    const help = await app.npx(['drizzle-pgstore', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: drizzle-pgstore <command>/);
  });

  it('adds the owner column from the installed package: npx drizzle-pgstore migrate --owner', async () => {
    const migrated = await app.npx(['drizzle-pgstore', 'migrate', '--owner', '--pglite', join(work, 'pglite-owner')]);
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toContain('the sessions table is ready, with an owner column');
  });

  // One PGlite folder, one process at a time, as PGlite requires: migrated by the command,
  // written through each build, then counted by the command.
  it('migrates a PGlite folder with the command; the ES module and the CommonJS build each save and find in it; stats counts their sessions', async () => {
    const dir = join(work, 'pglite');
    const migrated = await app.npx(['drizzle-pgstore', 'migrate', '--pglite', dir]);
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toContain('the sessions table is ready');

    const esm = report(await app.node('save-find.mjs', [dir]));
    expect(esm).toMatchObject({ found: 'saved through ESM', expressUser: 'ESM', isExpressStore: true });
    expect(esm.migrations).toEqual({
      migrationsFolder: join(app.dir, 'node_modules/drizzle-pgstore/drizzle'),
      migrationsTable: '__drizzle_pgstore_migrations',
    });
    expect(esm.tableColumns).toEqual(expect.arrayContaining(['token', 'data', 'expiry']));
    expect(esm.resolved).toEqual(['index.js', 'express/index.js', 'schema.js'].map(builtFile));

    const cjs = report(await app.node('save-find.cjs', [dir]));
    expect(cjs).toMatchObject({ found: 'saved through CommonJS', expressUser: 'CommonJS', isExpressStore: true, mainLoadedExpressSession: false });
    expect(cjs.tableColumns).toEqual(expect.arrayContaining(['token', 'data', 'expiry']));
    expect(cjs.resolved).toEqual(['index.cjs', 'express/index.cjs', 'schema.cjs'].map(builtFile));
    expect(cjs.migrations).toEqual(esm.migrations);

    const stats = await app.npx(['drizzle-pgstore', 'stats', '--pglite', dir, '--json']);
    expect(stats.stderr).toBe('');
    // Each build saved one token through PGStore and one session through the adapter.
    expect(JSON.parse(stats.stdout)).toMatchObject({ live: 4, expired: 0 });
  });

  it("drizzle-kit generate puts the re-exported sessions table in the app's migration, loading the CommonJS build", async () => {
    const generated = await app.node('kit-generate.cjs');
    expect(generated.code, generated.stderr).toBe(0);
    const { loaded } = JSON.parse(generated.stdout.trim().split('\n').at(-1)!) as { loaded: string[] };
    expect(loaded).toEqual([builtFile('schema.cjs')]);
    const [file] = (await readdir(join(app.dir, 'kit/out'))).filter((name) => name.endsWith('.sql'));
    const migration = await readFile(join(app.dir, 'kit/out', file!), 'utf8');
    expect(migration).toContain('CREATE TABLE "users"');
    expect(migration).toContain('CREATE TABLE "sessions"');
    expect(migration).toContain('CREATE INDEX "sessions_expiry_idx" ON "sessions" USING btree ("expiry")');
  });

  it("with both builds in one process, each build knows the other build's StoreClosedError and StoreQueryError", async () => {
    const seen = report(await app.node('both-builds.mjs'));
    expect(seen).toEqual({
      // Two builds are two sets of classes: what `instanceof` must hold across is branded.
      samePGStoreClass: false,
      esmErrorIsCjsStoreClosedError: true,
      cjsErrorIsEsmStoreClosedError: true,
      esmErrorIsEsmStoreClosedError: true,
      plainErrorIsStoreClosedError: false,
      names: ['StoreClosedError', 'StoreClosedError'],
      esmQueryErrorIsCjsStoreQueryError: true,
      cjsQueryErrorIsEsmStoreQueryError: true,
      queryErrorIsStoreClosedError: false,
      queryErrorNames: ['StoreQueryError', 'StoreQueryError'],
    });
  });
});

describe('its types, in an app that imports it as ES modules or requires it as CommonJS', () => {
  for (const { version, projects } of compilers) {
    it.concurrent.for(projects)(`type-check with TypeScript ${version}: $name`, { timeout: 180_000 }, async (project, { expect }) => {
      expect((await typeChecks.get(version)!)[project.name]).toBe('');
    });
  }
});
