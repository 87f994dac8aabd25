import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/cli/database.js';
import { DatabaseUrlError } from '../src/cli/database-url.js';
import { postgresTarget } from './support/cli.js';
import { startDemo } from './support/demo.js';

const SECRET = /TopSecret/;

describe('openDatabase checks the URL it is given, and never repeats it', () => {
  it.each([
    ['notaurl', /^the database URL is not a valid URL \(it should look like postgres:\/\/user:password@host:5432\/database; it is not shown, as it may hold a password\)$/],
    ['mysql://root:TopSecret123@db/x', /^the database URL is a mysql: URL, not a PostgreSQL one/],
    ['postgres://me:12/TopSecret@db/x', /^the database URL has an '@' after its host: percent-encode/],
  ])('%s', async (url, message) => {
    const opening = openDatabase({ url });
    await expect(opening).rejects.toThrow(DatabaseUrlError);
    await expect(opening).rejects.toThrow(message);
    await expect(opening).rejects.not.toThrow(url.slice(0, 10));
  });

  it('names an unreachable database without its password', async () => {
    const opening = openDatabase({ url: 'postgres://me:TopSecret123@127.0.0.1:1/test?sslpassword=TopSecret123' });
    await expect(opening).rejects.toThrow(/^cannot connect to postgres:\/\/me@127\.0\.0\.1:1\/test: connect ECONNREFUSED/);
    await expect(opening).rejects.not.toThrow(SECRET);
  });
});

describe('the demo, which opens DATABASE_URL with openDatabase', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pgstore-demo-url-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('refuses DATABASE_URL=notaurl in one line that does not repeat it', async () => {
    await expect(startDemo({ DEMO_DATA_DIR: dataDir, DATABASE_URL: 'notaurl' })).rejects.toThrow(
      /exited \(1\) before serving:\ndemo: the database URL is not a valid URL \(it should look like postgres:\/\/user:password@host:5432\/database; it is not shown, as it may hold a password\)\n$/,
    );
  });

  it('names its database without the password', async () => {
    const target = await postgresTarget();
    try {
      const url = new URL(target.env!.DATABASE_URL!);
      url.username = 'postgres';
      url.password = 'TopSecret123';
      url.searchParams.set('password', 'TopSecret123');
      const demo = await startDemo({ DEMO_DATA_DIR: dataDir, DATABASE_URL: url.href, SESSION_SECRET: 'a test secret' });
      expect(await demo.stop()).toEqual({ code: 0, killed: false });
      expect(demo.output()).toContain(`sessions in postgres://postgres@${url.host}${url.pathname}\n`);
      expect(demo.output()).not.toMatch(SECRET);
    } finally {
      await target.done();
    }
  });
});
