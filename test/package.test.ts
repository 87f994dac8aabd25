import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFromCheckout, repoRoot, type PackedPackage } from './support/packed-package.js';
import { installScratchApp, TYPESCRIPT_5, type ScratchApp } from './support/scratch-app.js';
import { node10Projects, typeCheckProjects, typeProjects, writeTypeProjects, type TypeProject } from './support/type-projects.js';

// The package as an app gets it: packed by npm from a checkout without dist/ (as npm does
// for a git or path dependency), installed with npm into an app outside the repository,
// then run and type-checked there. Everything lives in one temporary folder.

let work: string;
let packed: PackedPackage;
let app: ScratchApp;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pgstore-package-'));
  packed = await packFromCheckout(work);
  await mkdir(join(work, 'app'));
  app = await installScratchApp(join(work, 'app'), packed.tarball);
}, 240_000);

afterAll(() => rm(work, { recursive: true, force: true }));

/** The JSON line a fixture script printed, or its failure in full. */
function report(result: { code: number; stdout: string; stderr: string }): Record<string, unknown> {
  expect(result.stderr, result.stderr).not.toMatch(/Error/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A PGlite folder with the sessions table, made by the installed command. */
async function migratedPglite(name: string): Promise<string> {
  const dir = join(work, name);
  const migrated = await app.npx(['drizzle-pgstore', 'migrate', '--pglite', dir]);
  expect(migrated.stderr).toBe('');
  expect(migrated.stdout).toContain('the sessions table is ready');
  return dir;
}

describe('the packed tarball', () => {
  it('holds what prepare built: both formats of every entry point, with types, and the command', () => {
    for (const entry of ['index', 'express', 'schema']) {
      for (const extension of ['.js', '.d.ts', '.cjs', '.d.cts']) expect(packed.files).toContain(`dist/${entry}${extension}`);
    }
    expect(packed.files).toContain('dist/cli/main.js');
    expect(packed.files).toContain('drizzle/meta/_journal.json');
  });

  it('holds no tests and nothing of the repository tooling', () => {
    const strays = packed.files.filter((file) => /^(test|scripts|examples|bench|docs)\/|\.test\.|tsbuildinfo|^tsconfig/.test(file));
    expect(strays).toEqual([]);
  });
});

describe('an app that installed the tarball', { timeout: 120_000 }, () => {
  it('runs the command: --help, then migrate and stats on a PGlite folder', async () => {
    const help = await app.npx(['drizzle-pgstore', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: drizzle-pgstore <command>/);
    const dir = await migratedPglite('cli-pglite');
    const stats = await app.npx(['drizzle-pgstore', 'stats', '--pglite', dir, '--json']);
    expect(stats.stderr).toBe('');
    expect(JSON.parse(stats.stdout)).toMatchObject({ live: 0, expired: 0 });
  });

  it('imports every entry point as ES modules: PGStore saves and finds, the express adapter is an express-session Store', async () => {
    const dir = await migratedPglite('esm-pglite');
    const seen = report(await app.node('save-find.mjs', [dir]));
    expect(seen).toMatchObject({ found: 'saved through ESM', expressUser: 'esm', isExpressStore: true });
    expect(seen.tableColumns).toEqual(expect.arrayContaining(['token', 'data', 'expiry']));
    expect(seen.resolved).toEqual([
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/index\.js$/),
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/express\.js$/),
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/schema\.js$/),
    ]);
  });

  it('requires every entry point, and gets the CommonJS build: PGStore saves and finds, the express adapter is an express-session Store', async () => {
    const dir = await migratedPglite('cjs-pglite');
    const seen = report(await app.node('save-find.cjs', [dir]));
    expect(seen).toMatchObject({ found: 'saved through CommonJS', expressUser: 'cjs', isExpressStore: true });
    expect(seen.tableColumns).toEqual(expect.arrayContaining(['token', 'data', 'expiry']));
    expect(seen.resolved).toEqual([
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/index\.cjs$/),
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/express\.cjs$/),
      expect.stringMatching(/node_modules\/drizzle-pgstore\/dist\/schema\.cjs$/),
    ]);
  });

  it('with both builds in one process, each build knows the other build\'s StoreClosedError', async () => {
    const seen = report(await app.node('both-builds.mjs'));
    expect(seen).toEqual({
      // Two builds are two sets of classes: what `instanceof` must hold across is branded.
      samePGStoreClass: false,
      esmErrorIsCjsStoreClosedError: true,
      cjsErrorIsEsmStoreClosedError: true,
      esmErrorIsEsmStoreClosedError: true,
      plainErrorIsStoreClosedError: false,
      names: ['StoreClosedError', 'StoreClosedError'],
    });
  });
});

describe('its types, in an app that imports it as ES modules or requires it as CommonJS', () => {
  // Each compiler checks its own copies of the projects, in one run whose result every test reads.
  const compilers: Array<{ version: string; tsc: () => string; projects: TypeProject[] }> = [
    { version: '7', tsc: () => join(repoRoot, 'node_modules/typescript/bin/tsc'), projects: typeProjects },
    {
      version: TYPESCRIPT_5,
      tsc: () => join(app.dir, 'node_modules/typescript/bin/tsc'),
      projects: [...typeProjects, ...node10Projects],
    },
  ];
  for (const { version, tsc, projects } of compilers) {
    let checked: Promise<Record<string, string>> | undefined;
    const diagnostics = () => {
      checked ??= (async () => {
        const parent = join(app.dir, `types-${version}`);
        await writeTypeProjects(parent, projects);
        return typeCheckProjects(tsc(), parent, projects);
      })();
      return checked;
    };
    it.concurrent.for(projects)(`type-check with TypeScript ${version}: $name`, { timeout: 180_000 }, async (project, { expect }) => {
      expect((await diagnostics())[project.name]).toBe('');
    });
  }
});
