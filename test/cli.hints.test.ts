import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine, postgresTarget, runCli, targets, type CliResult, type Target } from './support/cli.js';
import { drizzleKitApp } from './support/drizzle-kit-app.js';

/** The command a "run … first" hint gives, as arguments for the CLI (its paths have no spaces). */
function suggestedCommand(result: CliResult): string[] {
  const command = /\(run drizzle-pgstore (migrate[^)]*) first\)$/.exec(oneLine(result))?.[1];
  if (command === undefined) throw new Error(`no command in: ${result.stderr}`);
  return command.split(' ');
}

describe.each(targets)('when the sessions table is gone on %s', (_name, open) => {
  let target: Target;
  const run = (...args: string[]) => runCli([...args, ...target.args], target.env);
  beforeAll(async () => {
    target = await open();
  });
  afterAll(() => target?.done());

  it('stats and cleanup say to run migrate, and migrate, run as they say, makes it again', async () => {
    expect((await run('migrate')).code).toBe(0);
    for (const command of ['stats', 'cleanup']) {
      await target.exec('DROP TABLE sessions');
      const missing = await run(command);
      expect(missing.code, command).toBe(1);
      expect(missing.stderr, command).toMatch(/^drizzle-pgstore: relation "sessions" does not exist \(run drizzle-pgstore migrate/);

      // Followed literally: the command as printed, in the same environment.
      const migrated = await runCli(suggestedCommand(missing), target.env);
      expect(migrated).toMatchObject({ code: 0, stderr: '' });
      expect(migrated.stdout).toMatch(/: made the sessions table again \(its migration history said it was made, but it was missing\)\n$/);
      expect(await run(command), command).toMatchObject({ code: 0, stderr: '' });
    }
    const [row] = await target.exec(`SELECT to_regclass('sessions_expiry_idx') IS NOT NULL AS ok`);
    expect(row?.ok).toBe(true);
  });
});

describe('hints on PostgreSQL', () => {
  let target: Target;
  beforeAll(async () => {
    target = await postgresTarget();
  });
  afterAll(() => target?.done());

  it('a --database-url user is told to pass the same URL, which is not repeated', async () => {
    const url = target.env!.DATABASE_URL!;
    const missing = await runCli(['stats', '--database-url', url, '--table', 'sessions']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(run drizzle-pgstore migrate --database-url URL (the same URL) first)');
    expect(missing.stderr).not.toContain(url);
  });

  it('migrate makes the table on a search_path where the history says it is made', async () => {
    expect((await runCli(['migrate'], target.env)).code).toBe(0);
    await target.exec('CREATE SCHEMA elsewhere');
    const elsewhere = new URL(target.env!.DATABASE_URL!);
    elsewhere.searchParams.set('options', '-c search_path=elsewhere');
    const env = { DATABASE_URL: elsewhere.href };
    const missing = await runCli(['stats'], env);
    expect(oneLine(missing)).toBe(`drizzle-pgstore: relation "sessions" does not exist (run drizzle-pgstore migrate first)`);
    const migrated = await runCli(suggestedCommand(missing), env);
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toContain('made the sessions table again');
    expect(await runCli(['stats'], env)).toMatchObject({ code: 0, stderr: '' });
    const [row] = await target.exec(`SELECT to_regclass('elsewhere.sessions') IS NOT NULL AS ok`);
    expect(row?.ok).toBe(true);
  });

  it("a table of --table and --schema points to the app's drizzle-kit migrations, which, followed, make it", async () => {
    const args = ['--table', 'app_sessions', '--schema', 'auth'];
    const missing = await runCli(['stats', ...args], target.env);
    expect(missing.code).toBe(1);
    // drizzle-kit makes a PostgreSQL schema only when the app's Drizzle schema exports it.
    const hint =
      "drizzle-pgstore migrate makes only the default table; make this one in your app's Drizzle schema with " +
      `export const sessionsSchema = pgSchema("auth") (import { pgSchema } from 'drizzle-orm/pg-core') and ` +
      `export const sessionsTable = defineSessionsTable("app_sessions", { schema: "auth" }) ` +
      "(import { defineSessionsTable } from 'drizzle-pgstore/schema'), then run drizzle-kit generate and drizzle-kit migrate";
    expect(oneLine(missing)).toBe(`drizzle-pgstore: relation "auth.app_sessions" does not exist (${hint})`);
    // migrate says the same rather than "Unknown option".
    const migrate = await runCli(['migrate', ...args], target.env);
    expect(migrate.code).toBe(2);
    expect(oneLine(migrate)).toBe(`drizzle-pgstore: ${hint} (see 'drizzle-pgstore --help')`);

    // Followed literally: the imports and the exports it names are the app's schema.
    const named = [...hint.matchAll(/(export const [^(]*\([^)]*\)) \((import [^)]*)\)/g)];
    expect(named).toHaveLength(2);
    const schema = named.map(([, exported, imported]) => `${imported};\n${exported};\n`).join('');
    const app = await drizzleKitApp(schema, target.env!.DATABASE_URL!);
    try {
      await app.generate();
      expect((await app.migrate()).code).toBe(0);
    } finally {
      await app.remove();
    }
    expect(await runCli(['stats', ...args], target.env)).toMatchObject({ code: 0, stderr: '' });
    expect(await runCli(['cleanup', ...args], target.env)).toMatchObject({ code: 0, stderr: '' });

    // Where the PostgreSQL schema is there already, the hint leaves it out.
    const other = await runCli(['stats', '--table', 'other_sessions', '--schema', 'auth'], target.env);
    expect(oneLine(other)).toContain(
      "with export const sessionsTable = defineSessionsTable(\"other_sessions\", { schema: \"auth\" }) (import { defineSessionsTable } from 'drizzle-pgstore/schema'), then",
    );
  });
});
