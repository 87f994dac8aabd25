import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * One TypeScript setup an app may have: its module format (the `type` of its package.json),
 * its compiler options, and whether its source imports with `import … from` or with
 * `import … = require(…)`.
 */
export interface TypeProject {
  name: string;
  type: 'module' | 'commonjs';
  compilerOptions: Record<string, unknown>;
  syntax: 'import' | 'require';
}

/** The settings the package promises to type-check under, with either module format. */
export const typeProjects: TypeProject[] = [
  { name: 'esm-nodenext', type: 'module', compilerOptions: { module: 'nodenext' }, syntax: 'import' },
  { name: 'esm-node16', type: 'module', compilerOptions: { module: 'node16' }, syntax: 'import' },
  { name: 'esm-bundler', type: 'module', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, syntax: 'import' },
  { name: 'cjs-nodenext', type: 'commonjs', compilerOptions: { module: 'nodenext' }, syntax: 'import' },
  { name: 'cjs-node16', type: 'commonjs', compilerOptions: { module: 'node16' }, syntax: 'import' },
  // Under bundler resolution `require` picks the CommonJS types, whatever package.json says.
  { name: 'cjs-bundler', type: 'commonjs', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, syntax: 'require' },
];

/**
 * node10 (`moduleResolution: node`) ignores `exports`: TypeScript 5 still has it, 7 does
 * not. As `tsc --init` has long written, with esModuleInterop.
 */
export const node10Projects: TypeProject[] = [
  {
    name: 'cjs-node10',
    type: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    syntax: 'import',
  },
  {
    name: 'esm-node10',
    type: 'module',
    compilerOptions: { module: 'esnext', moduleResolution: 'node10', esModuleInterop: true },
    syntax: 'import',
  },
];

// What an app does with each entry point: the store on node-postgres (the drizzle-orm
// types of the app and of the package must be the same ones), the express adapter handed
// to express-session, and the table from the schema entry.
const importSource = `import session from 'express-session';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import { migrations, PGStore, StoreClosedError, type SessionStore } from 'drizzle-pgstore';
import { ExpressSessionStore } from 'drizzle-pgstore/express';
import { sessions } from 'drizzle-pgstore/schema';

const store = new PGStore(drizzle(new Pool()));
export const middleware = session({ store: new ExpressSessionStore(store, { ttl: 3600 }), secret: 's', resave: false, saveUninitialized: false });
export const found: Promise<Uint8Array | null> = store.find('token');
export const columns: string[] = [sessions.token.name, sessions.expiry.name];
export const isClosed = (error: unknown): boolean => error instanceof StoreClosedError;
export const asStore: SessionStore = store;
export const migrationsFolder: string = migrations.migrationsFolder;
// @ts-expect-error ttl is seconds or a function, not text
new ExpressSessionStore(store, { ttl: '1h' });
`;

const requireSource = `import session = require('express-session');
import nodePostgres = require('drizzle-orm/node-postgres');
import pg = require('pg');
import pgstore = require('drizzle-pgstore');
import expressEntry = require('drizzle-pgstore/express');
import schemaEntry = require('drizzle-pgstore/schema');

const store = new pgstore.PGStore(nodePostgres.drizzle(new pg.Pool()));
export const middleware = session({ store: new expressEntry.ExpressSessionStore(store, { ttl: 3600 }), secret: 's', resave: false, saveUninitialized: false });
export const found: Promise<Uint8Array | null> = store.find('token');
export const columns: string[] = [schemaEntry.sessions.token.name, schemaEntry.sessions.expiry.name];
export const isClosed = (error: unknown): boolean => error instanceof pgstore.StoreClosedError;
export const asStore: pgstore.SessionStore = store;
export const migrationsFolder: string = pgstore.migrations.migrationsFolder;
// @ts-expect-error ttl is seconds or a function, not text
new expressEntry.ExpressSessionStore(store, { ttl: '1h' });
`;

/** Writes each project into `parent/<name>/` (node_modules is found above it). */
async function writeTypeProjects(parent: string, projects: TypeProject[]): Promise<void> {
  for (const project of projects) {
    const dir = join(parent, project.name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: project.name, private: true, type: project.type }));
    // skipLibCheck as drizzle-orm requires: its own declarations do not check clean.
    const compilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: ['node'], ...project.compilerOptions };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
    await writeFile(join(dir, 'app.ts'), project.syntax === 'import' ? importSource : requireSource);
  }
}

/**
 * Writes the projects into `parent` and type-checks them with one `tsc -b` of the given
 * compiler (one process parses the shared declarations once). Resolves with each
 * project's diagnostics, '' when clean; a diagnostic that names no project's file, or a
 * failure to run at all, is charged to every project. Never rejects.
 */
export async function checkTypeProjects(tsc: string, parent: string, projects: TypeProject[]): Promise<Record<string, string>> {
  const names = projects.map((project) => project.name);
  const output = await writeTypeProjects(parent, projects)
    .then(() => run(process.execPath, [tsc, '-b', '--pretty', 'false', ...names], { cwd: parent }))
    .then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; stderr?: string; message: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}` || error.message,
    );
  // Each diagnostic starts at the margin; its explanation lines are indented.
  const diagnostics = output.split(/\n(?=\S)/).filter((text) => text.trim() !== '');
  const byProject: Record<string, string> = Object.fromEntries(names.map((name) => [name, '']));
  for (const diagnostic of diagnostics) {
    const owner = names.find((name) => diagnostic.startsWith(`${name}/`));
    for (const name of owner ? [owner] : names) byProject[name] += `${diagnostic}\n`;
  }
  return byProject;
}
