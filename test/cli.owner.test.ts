import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, targets, type Target } from './support/cli.js';

const OWNER_COLUMN = `
  SELECT data_type, is_nullable FROM information_schema.columns
  WHERE table_name = 'sessions' AND column_name = 'owner'`;
const OWNER_INDEX = `SELECT indexdef FROM pg_indexes WHERE indexname = 'sessions_owner_idx'`;

describe.each(targets)('migrate --owner on %s', (_name, open) => {
  let target: Target;
  const run = (...args: string[]) => runCli([...args, ...target.args], target.env);
  beforeAll(async () => {
    target = await open();
  });
  afterAll(() => target?.done());

  it('adds the owner column and its partial index to a table that has sessions, keeping them, and is safe to run again', async () => {
    expect((await run('migrate')).code).toBe(0);
    expect(await target.exec(OWNER_COLUMN)).toEqual([]);
    await target.exec(`INSERT INTO sessions VALUES ('kept', convert_to('x', 'UTF8'), current_timestamp + interval '1 hour')`);

    const result = await run('migrate', '--owner');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/migrated .*: the sessions table is ready, with an owner column\n$/);
    expect((await run('migrate', '--owner')).code).toBe(0);

    expect(await target.exec(OWNER_COLUMN)).toEqual([{ data_type: 'text', is_nullable: 'YES' }]);
    const [index] = await target.exec(OWNER_INDEX);
    expect(index?.indexdef).toMatch(/ON public\.sessions USING btree \(owner\) WHERE \(owner IS NOT NULL\)/);
    expect(await target.exec(`SELECT token, owner FROM sessions`)).toEqual([{ token: 'kept', owner: null }]);
  });

  it('gives a table made again after its history the owner column again', async () => {
    await target.exec('DROP TABLE sessions');
    const result = await run('migrate', '--owner');
    expect(result.stdout).toMatch(/made the sessions table again, with an owner column/);
    expect(await target.exec(OWNER_COLUMN)).toEqual([{ data_type: 'text', is_nullable: 'YES' }]);
  });

  it('says what --owner does in its help', async () => {
    const help = await run('migrate', '--help');
    expect(help.stdout).toMatch(/--owner +also give the table a nullable owner column/);
  });
});
