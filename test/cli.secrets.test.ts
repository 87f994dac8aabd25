import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTarget, runCli, type CliResult, type Target } from './support/cli.js';

/** Every spelling of the password below that a leak could take. */
const LEAK = /TopSecret|Top%53ecret|Top%2FSecret|Secret123/i;

const commands = ['migrate', 'stats', 'cleanup'];

/** Runs each command with `args` and `env`, expecting no form of the password in what it prints. */
async function expectNoPassword(args: string[], env: Record<string, string> = {}): Promise<CliResult[]> {
  const results = await Promise.all(commands.map((command) => runCli([command, ...args], env)));
  results.forEach((result, i) => {
    const where = `${commands[i]} ${args.join(' ')} ${JSON.stringify(env)}`;
    expect(`${result.stdout}${result.stderr}`, where).not.toMatch(LEAK);
  });
  return results;
}

describe('the CLI never prints a database password', () => {
  // Port 1: nothing listens there, so each command fails in "cannot connect to".
  const unreachable: Array<[string, string]> = [
    ['user:password@', 'postgres://me:TopSecret123@127.0.0.1:1/test'],
    ['?password=', 'postgres://me@127.0.0.1:1/test?password=TopSecret123'],
    ['?sslpassword=', 'postgres://me@127.0.0.1:1/test?sslpassword=TopSecret123'],
    ['a percent-encoded password', 'postgres://me:Top%53ecret123@127.0.0.1:1/test'],
    ['a percent-encoded ?password=', 'postgres://me@127.0.0.1:1/test?password=Top%53ecret123'],
    ['a password with an unencoded space', 'postgres://me:Top Secret123@127.0.0.1:1/test'],
    ['a password with an encoded slash', 'postgres://me:Top%2FSecret123@127.0.0.1:1/test'],
    ['an empty host', 'postgres://me:TopSecret123@/test?host=127.0.0.1&port=1'],
  ];

  it.each(unreachable)('in --database-url with %s', async (_form, url) => {
    for (const result of await expectNoPassword(['--database-url', url])) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^drizzle-pgstore: cannot connect to postgres:\/\/me@.*ECONNREFUSED/);
    }
  });

  it.each(unreachable)('in DATABASE_URL with %s', async (_form, url) => {
    for (const result of await expectNoPassword([], { DATABASE_URL: url })) expect(result.code).toBe(1);
  });

  it.each([
    ['a MySQL URL', 'mysql://root:TopSecret123@db/x', /--database-url is a mysql: URL, not a PostgreSQL one/],
    ['no scheme', 'root:TopSecret123@db/x', /--database-url is not a PostgreSQL URL/],
    ['an unencoded slash that breaks the URL', 'postgres://me:Top/Secret123@127.0.0.1:1/test', /--database-url is not a valid URL/],
    ['an unencoded slash that moves the host', 'postgres://me:123/TopSecret@127.0.0.1:1/test', /percent-encode/],
    ['an unencoded question mark', 'postgres://me:12?TopSecret@127.0.0.1:1/test', /percent-encode/],
    ['a broken host', 'postgres://me:TopSecret123@[db/x', /--database-url is not a valid URL/],
  ])('in a URL it refuses: %s', async (_form, url, message) => {
    for (const result of await expectNoPassword(['--database-url', url])) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('in a URL given where an option was expected', async () => {
    for (const result of await expectNoPassword(['postgres://me:TopSecret123@127.0.0.1:1/test'])) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^drizzle-pgstore: Unexpected argument 'postgres:\/\/me@127\.0\.0\.1:1\/test'/);
    }
    const inline = await expectNoPassword(['--database-url=postgres://me:TopSecret123@127.0.0.1:1/test', '--bogus']);
    for (const result of inline) expect(result.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('in other arguments that look like credentials, while a folder with an @ stays as it is', async () => {
    for (const result of await expectNoPassword(['root:TopSecret123@db/x'])) {
      expect(result.stderr).toBe(`drizzle-pgstore: Unexpected argument '***'. This command does not take positional arguments (see 'drizzle-pgstore --help')\n`);
    }
    const folder = '/nowhere/pkg@1.0.0';
    const stats = await runCli(['stats', '--pglite', folder]);
    expect(stats.stderr).toContain(`no PGlite database at ${folder}: no such folder`);
  });

  it('masks by position: a short or common password leaves the rest of the line as it is', async () => {
    const cases: Array<[string, string]> = [
      ['postgres://postgres:postgres@127.0.0.1:1/trial1', 'postgres://postgres@127.0.0.1:1/trial1'],
      ['postgres://app:app@127.0.0.1:1/app', 'postgres://app@127.0.0.1:1/app'],
      ['postgres://nouser:e@127.0.0.1:1/test', 'postgres://nouser@127.0.0.1:1/test'],
      ['postgres://me:1@127.0.0.1:1/test1', 'postgres://me@127.0.0.1:1/test1'],
      ['postgres://me@127.0.0.1:1/test?password=test&sslpassword=me', 'postgres://me@127.0.0.1:1/test'],
    ];
    for (const [url, shown] of cases) {
      for (const env of [{}, { DATABASE_URL: url }]) {
        const result = await runCli(['stats', ...('DATABASE_URL' in env ? [] : ['--database-url', url])], env);
        expect(result.stderr, url).toMatch(new RegExp(`^drizzle-pgstore: cannot connect to ${shown.replaceAll('.', '\\.').replaceAll('?', '\\?')}: .*ECONNREFUSED`));
        expect(result.stderr).not.toContain('***');
      }
    }
    const unexpected = await runCli(['stats', 'postgres://postgres:postgres@127.0.0.1:1/trial1']);
    expect(unexpected.stderr).toMatch(/^drizzle-pgstore: Unexpected argument 'postgres:\/\/postgres@127\.0\.0\.1:1\/trial1'/);
  });

  it('shows a host as the host, even one that repeats the password', async () => {
    // Masking by position: what stands in the host's place is the host, and the DNS error names it.
    const result = await runCli(['stats', '--database-url', 'postgres://me:TopSecret123@TopSecret123.invalid/test']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^drizzle-pgstore: cannot connect to postgres:\/\/me@TopSecret123\.invalid\/test: .*ENOTFOUND/);
  });

  describe('on a database it reaches', () => {
    let target: Target;
    beforeAll(async () => {
      target = await postgresTarget();
    });
    afterAll(() => target?.done());

    it('in what migrate, stats and cleanup print', async () => {
      // The server trusts local connections, so the password is sent and ignored.
      const url = new URL(target.env!.DATABASE_URL!);
      url.username = 'postgres';
      url.password = 'TopSecret123';
      url.searchParams.set('sslpassword', 'TopSecret123');
      for (const env of [{ DATABASE_URL: url.href }, {}]) {
        const args = 'DATABASE_URL' in env ? [] : ['--database-url', url.href];
        expect((await runCli(['migrate', ...args], env)).code).toBe(0);
        for (const result of await expectNoPassword(args, env)) {
          expect(result).toMatchObject({ code: 0, stderr: '' });
        }
        const stats = await runCli(['stats', ...args], env);
        expect(stats.stdout).toContain(`database       postgres://postgres@${url.host}${url.pathname}\n`);
      }
    });
  });
});
