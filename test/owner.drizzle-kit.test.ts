import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresTarget, type Target } from './support/cli.js';
import { drizzleKitApp, type DrizzleKitApp } from './support/drizzle-kit-app.js';

// docs/owners.md: an app that keeps the table in its schema adds the owner column with
// drizzle-kit, as it changes any of its tables.
let target: Target;
let app: DrizzleKitApp;

beforeAll(async () => {
  target = await postgresTarget();
  app = await drizzleKitApp(`export { sessions } from 'drizzle-pgstore/schema';\n`, target.env!.DATABASE_URL!);
});
afterAll(async () => {
  await app?.remove();
  await target?.done();
});

it('drizzle-kit generate adds the owner column and its partial index to a table that has sessions, and migrate keeps them', async () => {
  await app.generate();
  expect((await app.migrate()).code).toBe(0);
  await target.exec(`INSERT INTO sessions VALUES ('kept', convert_to('x', 'UTF8'), current_timestamp + interval '1 hour')`);

  await app.writeSchema(
    `import { defineSessionsTable } from 'drizzle-pgstore/schema';\nexport const sessions = defineSessionsTable('sessions', { owner: true });\n`,
  );
  const migration = await readFile(await app.generate(), 'utf8');
  expect(migration).toContain('ALTER TABLE "sessions" ADD COLUMN "owner" text;');
  expect(migration).toContain('CREATE INDEX "sessions_owner_idx" ON "sessions" USING btree ("owner") WHERE "sessions"."owner" is not null;');
  expect(migration).not.toMatch(/DROP|CREATE TABLE/);

  const migrated = await app.migrate();
  expect(migrated.code, migrated.output).toBe(0);
  expect(await target.exec('SELECT token, owner FROM sessions')).toEqual([{ token: 'kept', owner: null }]);
});
