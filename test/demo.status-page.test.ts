import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemo, DemoVisitor } from './support/demo.js';
import { createDemoDatabase, type DemoDatabase } from './support/demo-database.js';

// The status page is for every visitor; where the database lives, and how its errors read,
// is for the operator, in the server's log.
let database: DemoDatabase;
let dataDir: string;

beforeAll(async () => {
  database = await createDemoDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-'));
});

afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

it('names neither the database URL nor its parts on the status page; the log has it without the password', async () => {
  const url = new URL(database.url);
  // Trust authentication takes any password, so a real one can ride along.
  url.password = 'visitors-must-not-see-this';
  const demo = await startDemo({ DATABASE_URL: url.href, DEMO_DATA_DIR: dataDir });
  try {
    const { status, text: body } = await new DemoVisitor(demo.url).get('/status');
    expect(status).toBe(200);
    for (const part of ['visitors-must-not-see-this', database.name, url.host, 'postgres://']) {
      expect(body).not.toContain(part);
    }
    expect(demo.output()).toContain(`sessions in postgres://postgres@${url.host}/${database.name}`);
    expect(demo.output()).not.toContain('visitors-must-not-see-this');
  } finally {
    await demo.stop();
  }
});

it('does not show the PGlite data folder on the status page; the log has it', async () => {
  const demo = await startDemo({ DEMO_DATA_DIR: dataDir });
  try {
    const { status, text: body } = await new DemoVisitor(demo.url).get('/status');
    expect(status).toBe(200);
    expect(body).not.toContain(dataDir);
    expect(body).not.toContain('pgstore-demo-');
    expect(demo.output()).toContain(`sessions in PGlite at ${join(dataDir, 'pglite')}`);
  } finally {
    await demo.stop();
  }
});

it('says that a cleanup failed, and when, but leaves the database\'s words to the log', async () => {
  const demo = await startDemo({ DATABASE_URL: database.url, DEMO_DATA_DIR: dataDir, CLEANUP_INTERVAL_MS: '100' });
  // Any DELETE on the table fails, with a message standing in for what a database may say
  // about itself (hosts, users, relations).
  await database.query(`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'internal detail from db-host-7'; END $$`);
  await database.query('CREATE TRIGGER refuse_delete BEFORE DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete()');
  try {
    await expect.poll(() => demo.output(), { timeout: 10_000 }).toContain('internal detail from db-host-7');
    const { text: body } = await new DemoVisitor(demo.url).get('/status');
    expect(body).toMatch(/id="last-cleanup">failed at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // Not the error's message either: Drizzle's names the failed query and its parameters.
    for (const words of ['db-host-7', 'Failed query', 'params:', 'delete from']) expect(body).not.toContain(words);
  } finally {
    await database.query('DROP TRIGGER refuse_delete ON sessions');
    await demo.stop();
  }
});
