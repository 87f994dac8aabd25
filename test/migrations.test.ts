import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, databaseUrl, uniqueName, type Backend } from './support/backends.js';
import { describeSessionsTable } from './support/catalog.js';
import { sessionsTableDdl } from './support/sql.js';
import { postgresTarget, runCli, type Target } from './support/cli.js';
import { drizzleKitApp, makeSessionsIfNotExists, type DrizzleKitApp } from './support/drizzle-kit-app.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const drizzleKit = fileURLToPath(new URL('../node_modules/drizzle-kit/bin.cjs', import.meta.url));

for (const { name, open } of BACKENDS) describe(`the shipped migration on ${name}`, () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend?.close());

  it('makes exactly the table and index SCS pgstore documents', async () => {
    const documentedSchema = uniqueName('documented');
    await backend.query(`CREATE SCHEMA ${documentedSchema}`);
    await backend.query(`SET search_path TO ${documentedSchema}`);
    for (const statement of sessionsTableDdl('sessions', 'sessions_expiry_idx')) await backend.query(statement);
    await backend.query(`SET search_path TO ${backend.schema}`);

    const documented = await describeSessionsTable(backend.query, documentedSchema);
    const migrated = await describeSessionsTable(backend.query, backend.schema);
    expect(documented).toEqual({
      columns: [
        { name: 'token', type: 'text', notnull: true },
        { name: 'data', type: 'bytea', notnull: true },
        { name: 'expiry', type: 'timestamp with time zone', notnull: true },
      ],
      primaryKey: 'PRIMARY KEY (token)',
      indexes: [
        'CREATE INDEX sessions_expiry_idx ON <table> USING btree (expiry)',
        'CREATE UNIQUE INDEX sessions_pkey ON <table> USING btree (token)',
      ],
    });
    expect(migrated).toEqual(documented);
    await backend.query(`DROP SCHEMA ${documentedSchema} CASCADE`);
  });
});

describe('drizzle-kit', () => {
  it('`drizzle-kit migrate` creates the table in the DATABASE_URL database', async () => {
    const database = uniqueName('pgstore_kit');
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      const url = new URL(databaseUrl());
      url.pathname = `/${database}`;
      const { stdout } = await run(process.execPath, [drizzleKit, 'migrate'], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: url.href },
      });
      expect(stdout).toMatch(/migrations applied successfully/i);
      const client = new pg.Client({ connectionString: url.href });
      await client.connect();
      try {
        const query = async <Row>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as Row[];
        const shape = await describeSessionsTable(query, 'public');
        expect(shape?.columns.map((c) => c.name)).toEqual(['token', 'data', 'expiry']);
        expect(shape?.indexes).toContain('CREATE INDEX sessions_expiry_idx ON <table> USING btree (expiry)');
        // Its history is its own table, so an app's drizzle history cannot make it skip.
        const history = await query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_pgstore_migrations');
        expect(history[0]?.n).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it("puts the table into an app's own `drizzle-kit generate` output when its schema re-exports it", async () => {
    // Inside the package, so 'drizzle-pgstore/schema' resolves to this package's build.
    const app = fileURLToPath(new URL(`./.tmp/${uniqueName('app')}/`, import.meta.url));
    await mkdir(app, { recursive: true });
    try {
      await writeFile(
        `${app}schema.ts`,
        `import { pgTable, serial, text } from 'drizzle-orm/pg-core';
export { sessions } from 'drizzle-pgstore/schema';
export const users = pgTable('users', { id: serial('id').primaryKey(), name: text('name').notNull() });
`,
      );
      await writeFile(
        `${app}drizzle.config.ts`,
        `export default { dialect: 'postgresql', schema: '${app}schema.ts', out: '${app}drizzle' };\n`,
      );
      await run(process.execPath, [drizzleKit, 'generate', `--config=${app}drizzle.config.ts`], { cwd: root });
      const [file] = (await readdir(`${app}drizzle`)).filter((name) => name.endsWith('.sql'));
      const migration = await readFile(`${app}drizzle/${file}`, 'utf8');
      expect(migration).toContain('CREATE TABLE "users"');
      expect(migration).toContain('CREATE TABLE "sessions"');
      expect(migration).toMatch(/"data" "?bytea"? NOT NULL/);
      expect(migration).toContain('CREATE INDEX "sessions_expiry_idx" ON "sessions" USING btree ("expiry")');
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });

  describe("beside an app's own drizzle-kit migrations that include the re-exported table", () => {
    const appSchema = `import { pgTable, serial, text } from 'drizzle-orm/pg-core';
export { sessions } from 'drizzle-pgstore/schema';
export const users = pgTable('users', { id: serial('id').primaryKey(), name: text('name').notNull() });
`;
    let target: Target;
    let app: DrizzleKitApp;
    beforeEach(async () => {
      target = await postgresTarget();
      app = await drizzleKitApp(appSchema, target.env!.DATABASE_URL!);
    });
    afterEach(async () => {
      await app?.remove();
      await target?.done();
    });

    it('`drizzle-pgstore migrate` first: drizzle-kit migrate fails as generated, and works with IF NOT EXISTS', async () => {
      expect((await runCli(['migrate'], target.env)).code).toBe(0);
      const migration = await app.generate();
      // It fails on CREATE TABLE "sessions" (drizzle-kit 0.31 exits 1 without a word) and
      // rolls the whole migration back.
      expect((await app.migrate()).code).toBe(1);
      const [before] = await target.exec(`SELECT to_regclass('users') IS NOT NULL AS users`);
      expect(before).toEqual({ users: false });

      // The README's step: the two statements of the sessions table, made IF NOT EXISTS.
      await makeSessionsIfNotExists(migration);
      const edited = await readFile(migration, 'utf8');
      expect(edited).toContain('CREATE TABLE IF NOT EXISTS "sessions"');
      expect(edited).toContain('CREATE INDEX IF NOT EXISTS "sessions_expiry_idx"');
      expect(await app.migrate()).toMatchObject({ code: 0 });
      const [row] = await target.exec(`SELECT to_regclass('users') IS NOT NULL AS users, to_regclass('sessions_expiry_idx') IS NOT NULL AS idx`);
      expect(row).toEqual({ users: true, idx: true });
      expect((await runCli(['migrate'], target.env)).code).toBe(0);
      expect(await runCli(['stats'], target.env)).toMatchObject({ code: 0, stderr: '' });
    });

    it('drizzle-kit migrate first: `drizzle-pgstore migrate` then works too', async () => {
      await app.generate();
      expect(await app.migrate()).toMatchObject({ code: 0 });
      const migrated = await runCli(['migrate'], target.env);
      expect(migrated).toMatchObject({ code: 0, stderr: '' });
      expect(migrated.stdout).toMatch(/: the sessions table is ready\n$/);
      expect(await runCli(['stats'], target.env)).toMatchObject({ code: 0, stderr: '' });
    });
  });

  it('loads drizzle-pgstore/schema with require(), as drizzle-kit does', () => {
    const require = createRequire(import.meta.url);
    const schema = require('drizzle-pgstore/schema') as typeof import('../src/schema.js');
    expect(require.resolve('drizzle-pgstore/schema')).toMatch(/dist\/schema\.cjs$/);
    expect(typeof schema.defineSessionsTable).toBe('function');
    expect(schema.sessions.expiry.name).toBe('expiry');
  });
});

describe('the shipped migrations in a bundle', () => {
  // What webpack does to the package inside a Next.js server bundle: import.meta.dirname
  // becomes undefined. esbuild makes the same bundle here, of the main entry as published.
  const bundleTheMainEntry = async (folder: string) => {
    const { build } = await import('esbuild');
    const outfile = join(folder, 'bundle.mjs');
    await build({
      entryPoints: [join(root, 'dist/index.js')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      define: { 'import.meta.dirname': 'undefined' },
      outfile,
      logLevel: 'silent',
    });
    return (await import(outfile)) as typeof import('../src/index.js');
  };

  it('imports, and says why the folder is unknown only when a migrator asks for it', async () => {
    const folder = fileURLToPath(new URL(`./.tmp/${uniqueName('bundle')}/`, import.meta.url));
    await mkdir(folder, { recursive: true });
    try {
      const bundled = await bundleTheMainEntry(folder);
      expect(typeof bundled.PGStore).toBe('function');
      expect(bundled.migrations.migrationsTable).toBe('__drizzle_pgstore_migrations');
      expect(bundled.ownerMigrations.migrationsTable).toBe('__drizzle_pgstore_owner_migrations');
      expect(() => bundled.migrations.migrationsFolder).toThrow(
        /^drizzle-pgstore: cannot find its shipped migrations \(the drizzle\/ folder of the package\): this module was bundled/,
      );
      expect(() => ({ ...bundled.ownerMigrations })).toThrow(/the drizzle-owner\/ folder/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('are found by drizzle migrators, spread or not, from the unbundled package', async () => {
    const { migrations, ownerMigrations } = await import('../src/index.js');
    const { readMigrationFiles } = await import('drizzle-orm/migrator');
    expect(readMigrationFiles(migrations)).toHaveLength(1);
    expect(readMigrationFiles({ ...ownerMigrations, migrationsSchema: 'auth' })).toHaveLength(1);
    expect({ ...migrations }).toEqual({ migrationsFolder: join(root, 'drizzle'), migrationsTable: '__drizzle_pgstore_migrations' });
  });
});
