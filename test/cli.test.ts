import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../src/index.js';
import { SessionCipher } from '../src/store/encryption.js';
import { databaseUrl } from './support/backends.js';
import { oneLine, runCli, targets, type Target } from './support/cli.js';
import { EDGE_STEPS, rowsExpiringAt } from './support/edge-expiries.js';

const FILL = (expired: number, live: number) => `
  INSERT INTO sessions (token, data, expiry)
  SELECT 'dead' || i, convert_to('x', 'UTF8'), current_timestamp - interval '1 hour' FROM generate_series(1, ${expired}) i;
  INSERT INTO sessions (token, data, expiry)
  SELECT 'live' || i, convert_to('x', 'UTF8'), current_timestamp + interval '1 hour' FROM generate_series(1, ${live}) i;`;

describe.each(targets)('the CLI on %s', (_name, open) => {
  let target: Target;
  const run = (...args: string[]) => runCli([...args, ...target.args], target.env);
  beforeAll(async () => {
    target = await open();
  });
  afterAll(() => target?.done());

  it('migrate creates the table, and is safe to run again', async () => {
    const first = await run('migrate');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/migrated .*: the sessions table is ready/);
    expect((await run('migrate')).code).toBe(0);
    const [row] = await target.exec(`SELECT to_regclass('sessions_expiry_idx') IS NOT NULL AS ok`);
    expect(row?.ok).toBe(true);
  });

  it('stats reports live and expired rows, sizes and expiry range, as text and --json', async () => {
    await target.exec(`TRUNCATE sessions; ${FILL(30, 12)}`);
    const json = await run('stats', '--json');
    expect(json.code).toBe(0);
    const stats = JSON.parse(json.stdout);
    expect(stats).toMatchObject({ live: 12, expired: 30 });
    expect(stats.tableBytes).toBeGreaterThan(0);
    expect(stats.indexBytes).toBeGreaterThan(0);
    expect(Date.parse(stats.oldestExpiry)).toBeLessThan(Date.parse(stats.newestExpiry));
    const text = await run('stats');
    expect(text.stdout).toMatch(/live sessions +12\n/);
    expect(text.stdout).toMatch(/expired rows +30\n/);
  });

  it('stats shows expiries in the years 1, 99, 100, 1899 and 9999 as they are, as text and --json', async () => {
    for (const step of EDGE_STEPS) {
      await target.exec(rowsExpiringAt(step.rows));
      const json = JSON.parse((await run('stats', '--json')).stdout);
      expect(json).toMatchObject({ oldestExpiry: step.oldest, newestExpiry: step.newest });
      const text = await run('stats');
      expect(text.stdout).toContain(`oldest expiry  ${step.oldest}\nnewest expiry  ${step.newest}\n`);
    }
  });

  it('cleanup removes 100,000 expired rows and leaves the live ones, showing progress', async () => {
    await target.exec(`TRUNCATE sessions; ${FILL(100_000, 1000)}`);
    const result = await run('cleanup', '--progress-every', '0');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^deleted 100000 expired rows in [\d.]+ s \(\d+ rows\/s\)\n$/);
    expect(result.stderr).toMatch(/^deleted 5000 rows so far \(\d+ rows\/s\)\n/);
    expect(result.stderr.trim().split('\n').length).toBeGreaterThanOrEqual(19);
    const [row] = await target.exec(
      `SELECT count(*) FILTER (WHERE expiry > now())::int AS live, count(*)::int AS total FROM sessions`,
    );
    expect(row).toEqual({ live: 1000, total: 1000 });
  });

  it('reencrypt moves every live session to the first key of the environment variable, and a rerun finds none left', async () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const old = new SessionCipher([oldKey]);
    const rows = Array.from({ length: 25 }, (_, i) => ({ key: hashToken(`token-${i}`), data: `session ${i}` }));
    const values = rows.map(({ key, data }) => `('${key}', decode('${Buffer.from(old.seal(key, Buffer.from(data))).toString('hex')}', 'hex'), now() + interval '1 hour')`);
    await target.exec(`TRUNCATE sessions; INSERT INTO sessions (token, data, expiry) VALUES ${values.join(', ')}`);
    const env = { ...target.env, DRIZZLE_PGSTORE_ENCRYPTION_KEYS: `${newKey.toString('base64')}, ${oldKey.toString('base64url')}` };
    const result = await runCli(['reencrypt', '--batch-size', '10', ...target.args], env);
    expect(result).toMatchObject({ code: 0, stdout: 'moved 25 sessions to the current key; 0 were written by the app meanwhile (so are on it already)\n' });
    expect(result.stderr).toBe(
      ['moved 10 sessions so far (0 written by the app meanwhile, 0 unreadable)', 'moved 20 sessions so far (0 written by the app meanwhile, 0 unreadable)', 'moved 25 sessions so far (0 written by the app meanwhile, 0 unreadable)', ''].join('\n'),
    );
    const current = new SessionCipher([newKey]);
    const stored = await target.exec('SELECT token, data FROM sessions ORDER BY token');
    const opened = stored.map((row) => current.open(row.token as string, row.data as Uint8Array));
    expect(opened.map((data) => Buffer.from(data as Uint8Array).toString()).sort()).toEqual(rows.map((row) => row.data).sort());
    const again = await runCli(['reencrypt', '--quiet', ...target.args], env);
    expect(again).toMatchObject({ code: 0, stderr: '', stdout: expect.stringMatching(/^moved 0 sessions/) });
    for (const output of [result, again]) expect(`${output.stdout}${output.stderr}`).not.toMatch(new RegExp([newKey.toString('base64').slice(0, 12), oldKey.toString('base64url').slice(0, 12)].map((k) => k.replace(/[+/]/g, '\\$&')).join('|')));
  });

  it('reencrypt --include-unencrypted encrypts the sessions written before encryption was on; without it they are left and counted', async () => {
    const key = randomBytes(32);
    const rows = Array.from({ length: 12 }, (_, i) => ({ key: hashToken(`plain-${i}`), data: `{"email":"user${i}@example.com"}` }));
    const values = rows.map(({ key, data }) => `('${key}', convert_to('${data}', 'UTF8'), now() + interval '1 hour')`);
    await target.exec(`TRUNCATE sessions; INSERT INTO sessions (token, data, expiry) VALUES ${values.join(', ')}`);
    const env = { ...target.env, DRIZZLE_PGSTORE_ENCRYPTION_KEYS: key.toString('base64') };
    const plainCount = async () => (await target.exec(`SELECT count(*)::int AS n FROM sessions WHERE position(convert_to('example.com', 'UTF8') in data) > 0`))[0]!.n;

    const without = await runCli(['reencrypt', '--quiet', ...target.args], env);
    expect(without).toMatchObject({ code: 0, stderr: '' });
    expect(without.stdout).toBe(
      'moved 0 sessions to the current key; 0 were written by the app meanwhile (so are on it already)\n' +
        '12 sessions no key opens were left as they are (written with a key not given, changed, or not encrypted: --include-unencrypted encrypts those)\n',
    );
    expect(await plainCount()).toBe(12);

    const result = await runCli(['reencrypt', '--include-unencrypted', '--batch-size', '5', ...target.args], env);
    expect(result).toMatchObject({ code: 0, stdout: 'moved 12 sessions to the current key; 0 were written by the app meanwhile (so are on it already)\n12 of the sessions moved were unencrypted before\n' });
    expect(result.stderr).toBe(
      [5, 10, 12].map((n) => `moved ${n} sessions so far (${n} of them unencrypted before, 0 written by the app meanwhile, 0 unreadable)\n`).join(''),
    );
    expect(await plainCount()).toBe(0);
    const cipher = new SessionCipher([key]);
    const stored = await target.exec('SELECT token, data FROM sessions ORDER BY token');
    expect(stored.map((row) => Buffer.from(cipher.open(row.token as string, row.data as Uint8Array) as Uint8Array).toString()).sort()).toEqual(rows.map((row) => row.data).sort());
    const again = await runCli(['reencrypt', '--include-unencrypted', '--quiet', ...target.args], env);
    expect(again.stdout).toMatch(/^moved 0 sessions to the current key; .*\n0 of the sessions moved were unencrypted before\n$/);
    expect((await runCli(['reencrypt', '--help'])).stdout).toContain('--include-unencrypted');
  });

  it('reencrypt refuses missing or bad keys without showing them', async () => {
    const short = randomBytes(16).toString('base64');
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'drizzle-pgstore: no keys: set DRIZZLE_PGSTORE_ENCRYPTION_KEYS to the app\'s encryptionKeys, current first, comma-separated (keys never go on the command line) (see \'drizzle-pgstore --help\')'],
      [{ DRIZZLE_PGSTORE_ENCRYPTION_KEYS: `${randomBytes(32).toString('base64')},${short}` }, 'drizzle-pgstore: key 2 of DRIZZLE_PGSTORE_ENCRYPTION_KEYS is 16 bytes; an AES-256 key is 32 (the key is not shown); a string is read as base64, so a password is no key: make one with openssl rand -base64 32 (see \'drizzle-pgstore --help\')'],
    ];
    for (const [keys, message] of cases) {
      const result = await runCli(['reencrypt', ...target.args], { ...target.env, ...keys });
      expect(result.code).toBe(2);
      expect(oneLine(result)).toBe(message);
    }
    const named = await runCli(['reencrypt', '--keys-env', 'MY_KEYS', ...target.args], { ...target.env, MY_KEYS: short });
    expect(oneLine(named)).toMatch(/^drizzle-pgstore: key 1 of MY_KEYS is 16 bytes/);
  });

  it('hash-tokens hashes the keys of a table written with hashTokens: false, once', async () => {
    await target.exec(`TRUNCATE sessions; ${FILL(2, 3)}`);
    const first = await run('hash-tokens');
    expect(first).toEqual({ code: 0, stdout: 'hashed the tokens of 5 rows\n', stderr: '' });
    const tokens = (await target.exec('SELECT token FROM sessions ORDER BY token')).map((row) => row.token);
    expect(tokens).toEqual(['dead1', 'dead2', 'live1', 'live2', 'live3'].map(hashToken).sort());
    expect(await run('hash-tokens')).toEqual({ code: 0, stdout: 'the tokens were hashed before; nothing to do\n', stderr: '' });
    expect((await target.exec('SELECT token FROM sessions ORDER BY token')).map((row) => row.token)).toEqual(tokens);
    // The command works under the default store: stats and cleanup count and delete the hashed rows.
    expect(JSON.parse((await run('stats', '--json')).stdout)).toMatchObject({ live: 3, expired: 2 });
    expect((await run('cleanup')).stdout).toMatch(/^deleted 2 expired rows/);
  });

  it('--help works on each command', async () => {
    const reencrypt = await runCli(['reencrypt', '--help']);
    expect(reencrypt.stdout).toContain('read from the environment variable DRIZZLE_PGSTORE_ENCRYPTION_KEYS');
    expect(reencrypt.stdout).toContain('never from the command line');
    expect((await runCli(['--help'])).stdout).toContain('never the command line');
    for (const command of ['migrate', 'cleanup', 'schedule', 'stats', 'reencrypt', 'hash-tokens']) {
      const result = await runCli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: drizzle-pgstore ${command}`);
      expect(result.stdout).toContain('--database-url URL');
    }
  });

});

describe('CLI errors', () => {
  it('refuses bad arguments with exit status 2', async () => {
    const pglite = ['--pglite', join(tmpdir(), 'never-created')];
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['frobnicate'], /unknown command 'frobnicate'; commands are migrate, cleanup, schedule, stats, reencrypt, hash-tokens/],
      [['--pglite', 'x', 'stats'], /the command comes first \(migrate, cleanup, schedule, stats, reencrypt, hash-tokens\), then its options; got '--pglite'/],
      [['stats'], /no database: pass --database-url URL or --pglite DIR, or set DATABASE_URL/],
      [['stats', '--bogus', ...pglite], /Unknown option '--bogus'/],
      [['stats', '--database-url', 'mysql://x'], /--database-url is a mysql: URL, not a PostgreSQL one \(it should look like postgres:\/\/user:password@host:5432\/database\)/],
      [['stats', '--database-url', ''], /--database-url is empty/],
      [['stats'], /^drizzle-pgstore: DATABASE_URL is not a valid URL \(it should look like postgres:\/\/user:password@host:5432\/database; it is not shown, as it may hold a password\)/, { DATABASE_URL: 'notaurl' }],
      [['stats', '--database-url', 'postgres://x', ...pglite], /not both/],
      [['stats', '--database-url', '--pglite', 'x'], /Option '--database-url' argument is ambiguous\. Did you forget to specify the option argument for '--database-url'\?/],
      [['cleanup', '--batch-size', '0', ...pglite], /--batch-size must be a whole number from 1 to 1000000, got '0'/],
      [['cleanup', '--batch-size', 'lots', ...pglite], /--batch-size must be a whole number from 1 to 1000000, got 'lots'/],
      [['cleanup', '--batch-size', '-5', ...pglite], /--batch-size must be a whole number from 1 to 1000000, got '-5'/],
      [['cleanup', '--batch-size', '99999999999999999999', ...pglite], /--batch-size must be a whole number from 1 to 1000000, got '99999999999999999999'/],
      [['cleanup', '--batch-size', '1e3', ...pglite], /--batch-size must be a whole number from 1 to 1000000, got '1e3'/],
      [['cleanup', '--progress-every', '-1', ...pglite], /--progress-every must be a whole number of milliseconds from 0 to 86400000, got '-1'/],
      [['stats', '--table', '', ...pglite], /table name must not be empty/],
      [['migrate', '--pglite', ''], /--pglite needs a folder/],
    ];
    for (const [args, message, env] of cases) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneLine(result), args.join(' ')).toMatch(message);
    }
    const notaurl = await runCli(['stats'], { DATABASE_URL: 'notaurl' });
    expect(notaurl.stderr).not.toContain('notaurl');
  });

  it('--version and -v print the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      expect(await runCli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    expect((await runCli(['--help'])).stdout).toContain("'drizzle-pgstore --version' (-v)");
  });

  it('reports a database it cannot connect to in one line with exit status 1', async () => {
    const result = await runCli(['cleanup', '--database-url', 'postgres://postgres@127.0.0.1:1/test']);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(/^drizzle-pgstore: cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/test: .*ECONNREFUSED/);
    // The server answers here; it is the database that is missing, and nothing says "unreachable".
    const missing = new URL(databaseUrl());
    missing.pathname = '/no_such_database';
    const answered = await runCli(['stats', '--database-url', missing.href]);
    expect(answered.code).toBe(1);
    const shown = new URL(missing);
    shown.password = '';
    shown.search = '';
    expect(oneLine(answered)).toBe(`drizzle-pgstore: cannot connect to ${shown.href}: database "no_such_database" does not exist`);
  });
});
