import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// These check the built package (`npm test` builds first), as an app installing it sees it.
const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** Every file the module graph of a built entry reaches, and every bare specifier it imports. */
async function importGraph(entry: string) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = async (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Without the JSDoc, whose examples import other modules.
    const source = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
    for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      if (specifier!.startsWith('.')) await visit(join(dirname(file), specifier!));
      else packages.add(specifier!);
    }
  };
  await visit(join(root, entry));
  return { files, packages };
}

/**
 * Runs ES module source in a child Node process in which `express-session` cannot be
 * found, as in an app that never installed it.
 */
async function runWithoutExpressSession(source: string) {
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'express-session') throw new Error('express-session is not installed');
    return next(specifier, context);
  }`;
  const prelude = `import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return run(process.execPath, ['--input-type=module', '-e', `${prelude}\n${source}`], { cwd: root }).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stderr: string }) => ({ ok: false, output: error.stderr }),
  );
}

/** The values each entry point exports: the public surface, pinned. */
const SURFACE: Record<string, string[]> = {
  'drizzle-pgstore': [
    'PGStore',
    'Session',
    'SessionConflictError',
    'SessionManager',
    'StoreClosedError',
    'StoreQueryError',
    'UnreadableSessionDataError',
    'defineSessionsTable',
    'hashToken',
    'migrations',
    'ownerMigrations',
    'sessionStats',
    'sessions',
  ],
  'drizzle-pgstore/express': ['ExpressSessionStore'],
  'drizzle-pgstore/hono': ['sessionMiddleware'],
  'drizzle-pgstore/react-router': ['createPGSessionStorage'],
  'drizzle-pgstore/next': ['nextSessions'],
  'drizzle-pgstore/sveltekit': ['sessionHandle'],
  'drizzle-pgstore/h3': ['commitSession', 'loadSession', 'sessionMiddleware'],
  'drizzle-pgstore/astro': ['createSessionDriver', 'pgSessionDriver'],
  'drizzle-pgstore/astro/driver': ['default'],
  'drizzle-pgstore/schema': ['defineSessionsTable', 'sessions'],
};

describe('the public surface', () => {
  it.each(Object.entries(SURFACE))('%s exports exactly these values as an ES module and as CommonJS', async (entry, names) => {
    const esm = (await import(entry)) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)(entry) as Record<string, unknown>;
    expect(Object.keys(esm).sort()).toEqual(names);
    expect(Object.keys(cjs).sort()).toEqual(names);
  });

  it('migrations names the shipped folder by an absolute path, the same from both builds', async () => {
    // A specifier in a variable, so typecheck does not need dist/ to exist.
    const specifier = 'drizzle-pgstore';
    const esm = (await import(specifier)) as typeof import('../src/index.js');
    const cjs = createRequire(import.meta.url)(specifier) as typeof import('../src/index.js');
    const folder = join(root, 'drizzle');
    expect(esm.migrations).toEqual({ migrationsFolder: folder, migrationsTable: '__drizzle_pgstore_migrations' });
    expect(cjs.migrations).toEqual(esm.migrations);
    expect(Object.isFrozen(esm.migrations)).toBe(true);
  });
});

describe('entry points', () => {
  it('docs/install.md names every entry point that require() loads', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const required = Object.entries(manifest.exports)
      .filter(([, targets]) => typeof targets === 'object' && targets !== null && 'require' in targets)
      .map(([path]) => (path === '.' ? 'drizzle-pgstore' : `drizzle-pgstore/${path.slice(2)}`));
    expect(required.length).toBeGreaterThanOrEqual(5);
    const install = await readFile(join(root, 'docs/install.md'), 'utf8');
    const sentence = /a CommonJS build of every entry point \(([^)]*)\)/.exec(install)?.[1] ?? '';
    const listed = [...sentence.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    expect(listed.sort()).toEqual(required.sort());
    const require = createRequire(join(root, 'package.json'));
    for (const entry of required) expect(typeof require(entry), entry).toBe('object');
  });

  it('the main entry imports no framework and no driver, directly or through its files', async () => {
    const { files, packages } = await importGraph('dist/index.js');
    expect(files.size).toBeGreaterThan(3);
    expect([...packages].sort()).toEqual(['drizzle-orm', 'drizzle-orm/pg-core', 'node:crypto', 'node:fs', 'node:path', 'node:timers/promises']);
    expect([...files].filter((file) => /\/dist\/(express|integrations)\//.test(file))).toEqual([]);
  });

  it('the main entry loads in an app without express-session; the express entry does not', async () => {
    const main = await runWithoutExpressSession(
      `const m = await import('drizzle-pgstore'); console.log(typeof m.PGStore);`,
    );
    expect(main).toEqual({ ok: true, output: 'function\n' });
    // The same hook stops the express entry, so it is the hook that the first result rests on.
    const adapter = await runWithoutExpressSession(`await import('drizzle-pgstore/express');`);
    expect(adapter.ok).toBe(false);
    expect(adapter.output).toContain('express-session is not installed');
  });

  it('drizzle-pgstore/express resolves through the package exports to a Store subclass', async () => {
    const require = createRequire(import.meta.url);
    const { Store } = require('express-session') as typeof import('express-session');
    expect(import.meta.resolve('drizzle-pgstore/express')).toMatch(/\/dist\/express\/index\.js$/);
    // A specifier in a variable, so typecheck does not need dist/ to exist.
    const specifier = 'drizzle-pgstore/express';
    const { ExpressSessionStore } = (await import(specifier)) as { ExpressSessionStore: { prototype: object } };
    expect(ExpressSessionStore.prototype).toBeInstanceOf(Store);
  });

  it('drizzle-pgstore/express has types, found through the package exports', async () => {
    const dir = join(root, 'test/.tmp', `types-${process.pid}`);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(
        join(dir, 'app.ts'),
        `import { PGStore } from 'drizzle-pgstore';
import { ExpressSessionStore, type ExpressSessionStoreOptions } from 'drizzle-pgstore/express';
import type { SessionStore as FastifySessionStore } from '@fastify/session';
declare const store: PGStore;
const options: ExpressSessionStoreOptions = { ttl: 3600, touchAfter: 30 };
const sessions: ExpressSessionStore = new ExpressSessionStore(store, options);
const count: Promise<number> = sessions.length();
// Without exactOptionalPropertyTypes, @fastify/session takes it as its own store type.
const forFastify: FastifySessionStore = sessions;
// @ts-expect-error ttl is seconds or a function, not text
new ExpressSessionStore(store, { ttl: '1h' });
export { count, forFastify };
`,
      );
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
          files: ['app.ts'],
        }),
      );
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', dir], { cwd: root }).then(
        () => '',
        (error: { stdout: string }) => error.stdout,
      );
      expect(result).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
